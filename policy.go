package coffer

// Action is something an actor may do to a project's resources.
type Action string

// The actions the policy decides on.
const (
	ActProjectRead   Action = "project:read"
	ActProjectUpdate Action = "project:update"
	ActProjectDelete Action = "project:delete"
	ActMemberRead    Action = "member:read"
	ActMemberManage  Action = "member:manage"
	ActEnvRead       Action = "environment:read"
	ActEnvManage     Action = "environment:manage"
	ActSecretRead    Action = "secret:read"
	ActSecretWrite   Action = "secret:write"
	ActTokenManage   Action = "token:manage"
	ActAuditRead     Action = "audit:read"
)

// minRole is the least project role that may perform each action.
var minRole = map[Action]Role{
	ActProjectRead:   RoleViewer,
	ActMemberRead:    RoleViewer,
	ActEnvRead:       RoleViewer,
	ActSecretRead:    RoleViewer,
	ActSecretWrite:   RoleDeveloper,
	ActProjectUpdate: RoleAdmin,
	ActMemberManage:  RoleAdmin,
	ActEnvManage:     RoleAdmin,
	ActTokenManage:   RoleAdmin,
	ActAuditRead:     RoleAdmin,
	ActProjectDelete: RoleOwner,
}

// Resource is what an action applies to, as the policy needs to see it.
type Resource struct {
	ProjectID     string
	EnvironmentID string // "" for project-level actions
	Role          Role   // the acting user's role in the project; "" if not a member
}

// Can is the one authorization decision of Coffer. Users act through their
// project role; service tokens only read (or, with read_write, write) the
// secrets of the environments in their scope.
func Can(a Actor, act Action, r Resource) bool {
	switch a.Type {
	case ActorUser:
		min, ok := minRole[act]
		return ok && a.UserID != "" && r.Role.AtLeast(min)
	case ActorToken:
		if a.ProjectID == "" || a.ProjectID != r.ProjectID {
			return false
		}
		switch act {
		case ActProjectRead:
			return true
		case ActEnvRead, ActSecretRead:
			return r.EnvironmentID == "" && act == ActEnvRead || inScope(a, r.EnvironmentID)
		case ActSecretWrite:
			return a.Access == AccessReadWrite && inScope(a, r.EnvironmentID)
		}
	}
	return false
}

func inScope(a Actor, envID string) bool {
	if envID == "" {
		return false
	}
	for _, id := range a.Environments {
		if id == envID {
			return true
		}
	}
	return false
}
