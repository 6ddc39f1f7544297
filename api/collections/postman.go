package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// postmanSchema is the format of the collection: Postman Collection v2.1.
const postmanSchema = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"

// Postman Collection v2.1 types: only the fields the collection uses.
type (
	postmanCollection struct {
		Info     postmanInfo       `json:"info"`
		Item     []postmanFolder   `json:"item"`
		Auth     *postmanAuth      `json:"auth,omitempty"`
		Event    []postmanEvent    `json:"event,omitempty"`
		Variable []postmanVariable `json:"variable"`
	}
	postmanInfo struct {
		Name        string `json:"name"`
		Description string `json:"description"`
		Version     string `json:"version"`
		Schema      string `json:"schema"`
	}
	postmanFolder struct {
		Name        string        `json:"name"`
		Description string        `json:"description,omitempty"`
		Item        []postmanItem `json:"item"`
	}
	postmanItem struct {
		ID       string         `json:"id"`
		Name     string         `json:"name"`
		Request  postmanRequest `json:"request"`
		Event    []postmanEvent `json:"event,omitempty"`
		Response []any          `json:"response"`
	}
	postmanRequest struct {
		Method      string       `json:"method"`
		Header      []postmanKV  `json:"header"`
		URL         postmanURL   `json:"url"`
		Body        *postmanBody `json:"body,omitempty"`
		Auth        *postmanAuth `json:"auth,omitempty"`
		Description string       `json:"description,omitempty"`
	}
	postmanKV struct {
		Key         string `json:"key"`
		Value       string `json:"value"`
		Description string `json:"description,omitempty"`
		Disabled    bool   `json:"disabled,omitempty"`
	}
	postmanURL struct {
		Raw      string      `json:"raw"`
		Host     []string    `json:"host"`
		Path     []string    `json:"path"`
		Query    []postmanKV `json:"query,omitempty"`
		Variable []postmanKV `json:"variable,omitempty"`
	}
	postmanBody struct {
		Mode    string          `json:"mode"`
		Raw     string          `json:"raw"`
		Options *postmanOptions `json:"options,omitempty"`
	}
	postmanOptions struct {
		Raw struct {
			Language string `json:"language"`
		} `json:"raw"`
	}
	postmanAuth struct {
		Type   string      `json:"type"`
		Bearer []postmanKV `json:"bearer,omitempty"`
	}
	postmanEvent struct {
		Listen string        `json:"listen"`
		Script postmanScript `json:"script"`
	}
	postmanScript struct {
		Type string   `json:"type"`
		Exec []string `json:"exec"`
	}
	postmanVariable struct {
		Key         string `json:"key"`
		Value       string `json:"value"`
		Type        string `json:"type"`
		Description string `json:"description,omitempty"`
	}
)

// postmanVar is a collection variable in Postman's template syntax.
func postmanVar(name string) string { return "{{" + name + "}}" }

// postman renders the collection in Postman's v2.1 format.
func postman(s *spec, vars []variable) ([]byte, error) {
	c := postmanCollection{
		Info: postmanInfo{
			Name: s.title, Version: s.version, Schema: postmanSchema,
			Description: collectionDescription(s, "Here the sign-in requests store it in `csrfToken`, "+
				"and a collection pre-request script sends it on every change. The access token of `createToken` "+
				"goes into `bearerToken` the same way."),
		},
		Auth:  &postmanAuth{Type: "bearer", Bearer: []postmanKV{{Key: "token", Value: postmanVar("bearerToken")}}},
		Event: []postmanEvent{{Listen: "prerequest", Script: postmanScript{Type: "text/javascript", Exec: csrfPrerequest}}},
	}
	for _, v := range vars {
		c.Variable = append(c.Variable, postmanVariable{Key: v.name, Value: v.value, Type: "string", Description: v.description})
	}
	for _, f := range folders(s) {
		pf := postmanFolder{Name: f.tag.name, Description: f.tag.description}
		for _, op := range f.ops {
			item, err := postmanRequestItem(op)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", op.id, err)
			}
			pf.Item = append(pf.Item, item)
		}
		c.Item = append(c.Item, pf)
	}
	return marshal(c)
}

func postmanRequestItem(op operation) (postmanItem, error) {
	r := postmanRequest{Method: op.method, Header: []postmanKV{}, Description: requestDescription(op)}
	if op.anonymous {
		r.Auth = &postmanAuth{Type: "noauth"}
	}
	segments := strings.Split(strings.TrimPrefix(op.path, "/"), "/")
	for i, seg := range segments {
		if name, ok := pathParam(seg); ok {
			segments[i] = ":" + name
		}
	}
	r.URL = postmanURL{Host: []string{postmanVar("baseUrl")}, Path: segments}
	var query []string
	for _, p := range op.params {
		kv := postmanKV{Key: p.name, Description: p.description}
		switch p.in {
		case "path":
			kv.Value = postmanVar(p.name)
			r.URL.Variable = append(r.URL.Variable, kv)
		case "query":
			kv.Value, kv.Disabled = paramText(p.example), !p.required
			r.URL.Query = append(r.URL.Query, kv)
			if !kv.Disabled {
				query = append(query, kv.Key+"="+kv.Value)
			}
		case "header":
			kv.Value, kv.Disabled = headerValue(p, postmanVar), !p.required && p.name != csrfHeader
			r.Header = append(r.Header, kv)
		}
	}
	if op.body != nil {
		raw, lang, err := bodyText(op.body)
		if err != nil {
			return postmanItem{}, err
		}
		r.Header = append(r.Header, postmanKV{Key: "Content-Type", Value: op.body.contentType})
		r.Body = &postmanBody{Mode: "raw", Raw: raw, Options: &postmanOptions{}}
		r.Body.Options.Raw.Language = lang
	}
	r.URL.Raw = postmanVar("baseUrl") + "/" + strings.Join(r.URL.Path, "/")
	if len(query) > 0 {
		r.URL.Raw += "?" + strings.Join(query, "&")
	}
	item := postmanItem{ID: op.id, Name: requestName(op), Request: r, Response: []any{}}
	if script, ok := postmanScripts[op.id]; ok {
		item.Event = []postmanEvent{{Listen: "test", Script: postmanScript{Type: "text/javascript", Exec: script}}}
	}
	return item, nil
}

// postmanScripts keep the credentials an answer carries in collection
// variables, so that the next request is authenticated. Keyed by
// operationId; generation fails when one is no longer in the document.
var postmanScripts = map[string][]string{
	"createToken": {
		"// Keep the bearer tokens for the other requests.",
		"if (pm.response.code === 200) {",
		"  const body = pm.response.json();",
		"  pm.collectionVariables.set('bearerToken', body.access_token);",
		"  pm.collectionVariables.set('refreshToken', body.refresh_token);",
		"}",
	},
	"login":          csrfScript,
	"signup":         csrfScript,
	"refreshSession": csrfScript,
}

// csrfPrerequest runs before every request: once a cookie session has
// stored csrfToken, state-changing requests carry it, as the server wants
// of every cookie-authenticated change (the client's cookie jar sends the
// session cookies with bearer requests too).
var csrfPrerequest = []string{
	"// Cookie sessions: send the CSRF token (stored by login/signup) on changes.",
	"const csrf = pm.collectionVariables.get('csrfToken');",
	"if (csrf && !['GET', 'HEAD', 'OPTIONS'].includes(pm.request.method)) {",
	"  pm.request.headers.upsert({ key: '" + csrfHeader + "', value: csrf });",
	"}",
}

var csrfScript = []string{
	"// Cookie session: keep the CSRF token for the X-CSRF-Token header.",
	"if (pm.response.code === 200 || pm.response.code === 201) {",
	"  pm.collectionVariables.set('csrfToken', pm.response.json().csrf_token);",
	"}",
}

// marshal writes v as JSON indented by two spaces, with a final newline.
// "<" and ">" stay as they are: descriptions quote `Bearer <token>`.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
