package main

import (
	"fmt"
	"strings"
)

// Insomnia export format 4 ("Import/Export → Export Data" and "Import"):
// a flat list of resources linked by parentId. Only the fields the
// collection uses; ids are stable so that a re-import updates in place.
type (
	insomniaExport struct {
		Type      string `json:"_type"`
		Format    int    `json:"__export_format"`
		Source    string `json:"__export_source"`
		Resources []any  `json:"resources"`
	}
	insomniaWorkspace struct {
		ID          string  `json:"_id"`
		Type        string  `json:"_type"`
		ParentID    *string `json:"parentId"`
		Name        string  `json:"name"`
		Description string  `json:"description"`
		Scope       string  `json:"scope"`
	}
	insomniaEnvironment struct {
		ID       string `json:"_id"`
		Type     string `json:"_type"`
		ParentID string `json:"parentId"`
		Name     string `json:"name"`
		Data     object `json:"data"`
		// DataPropertyOrder keeps the variables in the order above in the
		// editor ("&" is the root of the data object).
		DataPropertyOrder map[string][]string `json:"dataPropertyOrder"`
	}
	insomniaFolder struct {
		ID          string `json:"_id"`
		Type        string `json:"_type"`
		ParentID    string `json:"parentId"`
		Name        string `json:"name"`
		Description string `json:"description"`
		MetaSortKey int    `json:"metaSortKey"`
	}
	insomniaRequest struct {
		ID             string       `json:"_id"`
		Type           string       `json:"_type"`
		ParentID       string       `json:"parentId"`
		Name           string       `json:"name"`
		Description    string       `json:"description"`
		Method         string       `json:"method"`
		URL            string       `json:"url"`
		Parameters     []insomniaKV `json:"parameters"`
		Headers        []insomniaKV `json:"headers"`
		Body           insomniaBody `json:"body"`
		Authentication insomniaAuth `json:"authentication"`
		MetaSortKey    int          `json:"metaSortKey"`
	}
	insomniaKV struct {
		Name        string `json:"name"`
		Value       string `json:"value"`
		Description string `json:"description,omitempty"`
		Disabled    bool   `json:"disabled"`
	}
	insomniaBody struct {
		MimeType string `json:"mimeType,omitempty"`
		Text     string `json:"text,omitempty"`
	}
	// insomniaAuth is {} for no authentication.
	insomniaAuth struct {
		Type     string `json:"type,omitempty"`
		Token    string `json:"token,omitempty"`
		Prefix   string `json:"prefix,omitempty"`
		Disabled *bool  `json:"disabled,omitempty"`
	}
)

const insomniaWorkspaceID = "wrk_coffer"

// insomniaVar is an environment variable in Insomnia's template syntax.
func insomniaVar(name string) string { return "{{ _." + name + " }}" }

// insomnia renders the collection in Insomnia's export format 4.
func insomnia(s *spec, vars []variable) ([]byte, error) {
	e := insomniaExport{Type: "export", Format: 4, Source: "coffer.api.collections"}
	e.Resources = append(e.Resources, insomniaWorkspace{
		ID: insomniaWorkspaceID, Type: "workspace", Name: s.title, Scope: "collection",
		Description: collectionDescription(s, "Copy it into the environment's `csrfToken` and enable the "+
			"request's `X-CSRF-Token` header; set the request's auth to none."),
	})
	env := insomniaEnvironment{
		ID: "env_coffer_base", Type: "environment", ParentID: insomniaWorkspaceID, Name: "Base Environment",
		Data: object{}, DataPropertyOrder: map[string][]string{"&": {}},
	}
	for _, v := range vars {
		env.Data = append(env.Data, member{v.name, v.value})
		env.DataPropertyOrder["&"] = append(env.DataPropertyOrder["&"], v.name)
	}
	e.Resources = append(e.Resources, env)
	for i, f := range folders(s) {
		fid := "fld_" + f.tag.name
		e.Resources = append(e.Resources, insomniaFolder{
			ID: fid, Type: "request_group", ParentID: insomniaWorkspaceID,
			Name: f.tag.name, Description: f.tag.description, MetaSortKey: (i + 1) * 100,
		})
		for j, op := range f.ops {
			r, err := insomniaRequestResource(op, fid, (j+1)*100)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", op.id, err)
			}
			e.Resources = append(e.Resources, r)
		}
	}
	return marshal(e)
}

func insomniaRequestResource(op operation, parent string, sortKey int) (insomniaRequest, error) {
	r := insomniaRequest{
		ID: "req_" + op.id, Type: "request", ParentID: parent, Name: requestName(op),
		Description: requestDescription(op), Method: op.method,
		Parameters: []insomniaKV{}, Headers: []insomniaKV{}, MetaSortKey: sortKey,
	}
	if !op.anonymous {
		enabled := false
		r.Authentication = insomniaAuth{Type: "bearer", Token: insomniaVar("bearerToken"), Disabled: &enabled}
	}
	segments := strings.Split(op.path, "/")
	for i, seg := range segments {
		if name, ok := pathParam(seg); ok {
			segments[i] = insomniaVar(name)
		}
	}
	r.URL = insomniaVar("baseUrl") + strings.Join(segments, "/")
	for _, p := range op.params {
		kv := insomniaKV{Name: p.name, Description: p.description}
		switch p.in {
		case "query":
			kv.Value, kv.Disabled = paramText(p.example), !p.required
			r.Parameters = append(r.Parameters, kv)
		case "header":
			kv.Value, kv.Disabled = headerValue(p, insomniaVar), !p.required && p.name != csrfHeader
			r.Headers = append(r.Headers, kv)
		}
	}
	if op.body != nil {
		text, _, err := bodyText(op.body)
		if err != nil {
			return r, err
		}
		r.Body = insomniaBody{MimeType: op.body.contentType, Text: text}
		r.Headers = append(r.Headers, insomniaKV{Name: "Content-Type", Value: op.body.contentType})
	}
	if needsCSRFHeader(op) {
		r.Headers = append(r.Headers, insomniaKV{Name: csrfHeader, Value: insomniaVar("csrfToken"), Description: csrfNote, Disabled: true})
	}
	return r, nil
}
