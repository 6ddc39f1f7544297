package main

import (
	"testing"
	"time"

	"github.com/cofferhq/coffer/api"
)

// quiet fails the test if f receives a frame within d.
func (f *feed) quiet(d time.Duration, who string) {
	f.t.Helper()
	if fr, err := f.next(d); err == nil {
		f.t.Errorf("%s got %+v, want nothing", who, fr)
	}
}

// wantFrame fails the test unless fr is an event of type typ about
// environment env (by id and slug) of project p.
func wantFrame(t *testing.T, who string, fr frame, typ string, p *api.Project, envID, env string) {
	t.Helper()
	if fr.Type != typ || fr.ProjectID != p.ID || fr.Project != p.Slug || fr.EnvironmentID != envID || fr.Environment != env {
		t.Fatalf("%s got %+v, want %s of %s/%s (%s)", who, fr, typ, p.Slug, env, envID)
	}
}

// TestEventsEnvironmentLifecycleReachesTheProject: a teammate watching
// one environment hears of the others being created, renamed and deleted
// (the new one has no subscribers yet), by id; a service token outside
// whose scope they are, a stranger, and a connection watching nothing do
// not. Secret events keep their revisions, and lifecycle events are never
// replayed.
func TestEventsEnvironmentLifecycleReachesTheProject(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, nil)
		ctx := t.Context()
		owner, ownerToken, _ := s.owner(t, "owner", "shop")
		project := ok(owner.Project(ctx, "shop")).get(t)
		dev := ok(owner.Environment(ctx, "shop", "dev")).get(t)
		_, mate := s.signup(t, "mate")
		_, mateTok := s.bearer(t, string(mate.Email))
		ok(owner.AddMember(ctx, "shop", api.AddMemberRequest{Email: mate.Email, Role: "viewer"})).get(t)
		st := ok(owner.CreateServiceToken(ctx, "shop", api.CreateServiceTokenRequest{
			Name: "ci", Access: "read", Environments: []api.Slug{"dev"},
		})).get(t)
		_, strangerTok, _ := s.owner(t, "stranger", "other")

		teammate := dialFeed(t, s, bearerHeader(mateTok.AccessToken), nil)
		teammate.send(map[string]any{"type": "subscribe", "project": "shop", "environment": "dev"})
		if fr := teammate.mustNext(); fr.Type != "subscribed" || fr.ProjectID != project.ID || fr.EnvironmentID != dev.ID {
			t.Fatalf("subscribed frame %+v lacks the ids %s/%s", fr, project.ID, dev.ID)
		}
		token := dialFeed(t, s, bearerHeader(st.Secret), nil)
		_, rev := token.subscribe("shop", "dev", nil)
		stranger := dialFeed(t, s, bearerHeader(strangerTok), nil)
		stranger.subscribe("other", "dev", nil)
		idle := dialFeed(t, s, bearerHeader(ownerToken), nil) // the owner's, watching nothing

		qa := ok(owner.CreateEnvironment(ctx, "shop", api.CreateEnvironmentRequest{Slug: "qa"})).get(t)
		fr := teammate.mustNext()
		wantFrame(t, "teammate", fr, "environment.created", project, qa.ID, "qa")
		if fr.Revision != 0 {
			t.Errorf("environment.created carries revision %d: lifecycle events take none", fr.Revision)
		}
		name := "Quality"
		ok(owner.UpdateEnvironment(ctx, "shop", "qa", api.UpdateEnvironmentRequest{Name: &name})).get(t)
		wantFrame(t, "teammate", teammate.mustNext(), "environment.updated", project, qa.ID, "qa")
		noErr(t, owner.DeleteEnvironment(ctx, "shop", "qa"))
		wantFrame(t, "teammate", teammate.mustNext(), "environment.deleted", project, qa.ID, "qa")

		// Secret events are as before: the next frame of each watcher of
		// dev is the write, at the next revision. The service token's
		// scope is dev only: it heard nothing of qa.
		put(t, owner, "shop", "AFTER", "x")
		for who, f := range map[string]*feed{"teammate": teammate, "service token": token} {
			fr := f.mustNext()
			wantFrame(t, who, fr, "secret.created", project, dev.ID, "dev")
			if fr.Key != "AFTER" || fr.Revision != rev+1 {
				t.Errorf("%s got %+v, want AFTER at revision %d", who, fr, rev+1)
			}
		}
		stranger.quiet(300*time.Millisecond, "a subscriber of another project")
		idle.quiet(50*time.Millisecond, "a connection watching nothing")

		// Live only: a resume from revision 0 replays the secret alone.
		again := dialFeed(t, s, bearerHeader(mateTok.AccessToken), nil)
		replay, _ := again.subscribe("shop", "dev", sincePtr(0))
		if len(replay) != 1 || replay[0].Type != "secret.created" || replay[0].EnvironmentID != dev.ID {
			t.Fatalf("replay from 0: %+v, want the one secret", replay)
		}
	})
}

// TestEventsEnvironmentLifecycleStopsWithMembership: a member removed
// from the project hears of no environment created after.
func TestEventsEnvironmentLifecycleStopsWithMembership(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, nil)
		ctx := t.Context()
		owner, _, _ := s.owner(t, "boss", "team")
		_, member := s.signup(t, "member")
		_, memberTok := s.bearer(t, string(member.Email))
		ok(owner.AddMember(ctx, "team", api.AddMemberRequest{Email: member.Email, Role: "developer"})).get(t)
		f := dialFeed(t, s, bearerHeader(memberTok.AccessToken), nil)
		f.subscribe("team", "dev", nil)
		f.subscribe("team", "prod", nil)
		noErr(t, owner.RemoveMember(ctx, "team", member.ID))
		dropped := 0
		for dropped < 2 {
			fr := f.mustNext()
			switch {
			case fr.Type == "error" && fr.Code == "not_found" && fr.Project == "team":
				dropped++
			case fr.Type != "member.removed":
				t.Fatalf("unexpected frame %+v", fr)
			}
		}
		ok(owner.CreateEnvironment(ctx, "team", api.CreateEnvironmentRequest{Slug: "late"})).get(t)
		noErr(t, owner.DeleteEnvironment(ctx, "team", "staging"))
		f.quiet(300*time.Millisecond, "a removed member")
	})
}

// TestEnvironmentEventsReachEveryInstance: an environment created through
// one instance reaches the project's watchers on another, within the same
// bounds there.
func TestEnvironmentEventsReachEveryInstance(t *testing.T) {
	a, b := twoInstances(t, nil)
	ctx := t.Context()
	owner, _, _ := a.owner(t, "owner", "shop")
	project := ok(owner.Project(ctx, "shop")).get(t)
	_, mate := a.signup(t, "mate")
	_, mateTok := a.bearer(t, string(mate.Email))
	ok(owner.AddMember(ctx, "shop", api.AddMemberRequest{Email: mate.Email, Role: "viewer"})).get(t)
	st := ok(owner.CreateServiceToken(ctx, "shop", api.CreateServiceTokenRequest{
		Name: "ci", Access: "read", Environments: []api.Slug{"dev"},
	})).get(t)
	onB := dialFeed(t, b, bearerHeader(mateTok.AccessToken), nil)
	onB.subscribe("shop", "prod", nil)
	tokenOnB := dialFeed(t, b, bearerHeader(st.Secret), nil)
	_, rev := tokenOnB.subscribe("shop", "dev", nil)
	time.Sleep(100 * time.Millisecond) // as in TestEventsReachSubscribersOnEveryInstance: margin

	qa := ok(owner.CreateEnvironment(ctx, "shop", api.CreateEnvironmentRequest{Slug: "qa"})).get(t) // on A
	wantFrame(t, "teammate on B", onB.mustNext(), "environment.created", project, qa.ID, "qa")
	put(t, owner, "shop", "AFTER", "x")
	if fr := tokenOnB.mustNext(); fr.Type != "secret.created" || fr.Revision != rev+1 {
		t.Fatalf("service token on B got %+v first, want the secret at %d: qa is outside its scope", fr, rev+1)
	}
}

// TestEventsSubscriptionFollowsARename: renaming an environment that a
// connection watches keeps the subscription. The periodic access check
// finds the environment by id, not by the slug it was subscribed with;
// events after the rename carry the new slug; and the client unsubscribes
// by the new slugs, of the environment and then of the project.
func TestEventsSubscriptionFollowsARename(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, nil, func(m *Main) { m.FeedLimits.RecheckInterval = 200 * time.Millisecond })
		ctx := t.Context()
		owner, token, _ := s.owner(t, "owner", "shop")
		project := ok(owner.Project(ctx, "shop")).get(t)
		dev := ok(owner.Environment(ctx, "shop", "dev")).get(t)
		f := dialFeed(t, s, bearerHeader(token), nil)
		_, rev := f.subscribe("shop", "dev", nil)

		renamed := api.Slug("development")
		ok(owner.UpdateEnvironment(ctx, "shop", "dev", api.UpdateEnvironmentRequest{Slug: &renamed})).get(t)
		wantFrame(t, "watcher", f.mustNext(), "environment.updated", project, dev.ID, "development")
		time.Sleep(time.Second) // several access checks

		write := func(key string) {
			t.Helper()
			if _, _, err := owner.PutSecret(ctx, "shop", "development", key, api.PutSecretRequest{Value: "x"}); err != nil {
				t.Fatalf("put %s: %v", key, err)
			}
		}
		write("AFTER")
		fr := f.mustNext()
		wantFrame(t, "watcher", fr, "secret.created", project, dev.ID, "development")
		if fr.Revision != rev+1 {
			t.Errorf("secret.created at revision %d, want %d", fr.Revision, rev+1)
		}

		store := api.Slug("store")
		ok(owner.UpdateProject(ctx, "shop", api.UpdateProjectRequest{Slug: &store})).get(t)
		if fr := f.mustNext(); fr.Type != "project.updated" || fr.Project != "store" {
			t.Fatalf("watcher got %+v, want project.updated to store", fr)
		}
		f.send(map[string]any{"type": "unsubscribe", "project": "store", "environment": "development"})
		if _, _, err := owner.PutSecret(ctx, "store", "development", "UNHEARD", api.PutSecretRequest{Value: "x"}); err != nil {
			t.Fatal(err)
		}
		f.quiet(300*time.Millisecond, "a connection that unsubscribed by the new slug")
	})
}
