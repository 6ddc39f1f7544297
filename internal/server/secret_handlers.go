package server

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/joho/godotenv"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/internal/httpx"
	"github.com/cofferhq/coffer/internal/service"
)

// listSecrets is the bulk read: JSON or dotenv, with the environment
// revision as ETag.
func (s *Server) listSecrets(w http.ResponseWriter, r *http.Request) {
	var q service.BundleQuery
	var err error
	if q.Since, err = intParam(r, "since"); err != nil {
		httpx.Error(w, r, err)
		return
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "dotenv" {
		httpx.Error(w, r, coffer.Errorf(coffer.EINVALID, "format must be json or dotenv."))
		return
	}
	if format == "dotenv" && q.Since != nil {
		httpx.Error(w, r, coffer.Errorf(coffer.EINVALID, "since works with the json format only: dotenv cannot say what was deleted."))
		return
	}
	q.Known = parseETag(r.Header.Get("If-None-Match"))
	q.Fresh = noCache(r.Header)
	b, err := s.svc.Secrets(r.Context(), r.PathValue("project"), r.PathValue("env"), q)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	defer b.Close()
	w.Header()["Etag"] = []string{`"` + strconv.FormatInt(b.Revision, 10) + `"`}
	if b.NotModified {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if format == "dotenv" {
		_ = httpx.WriteBody(w, http.StatusOK, "text/plain; charset=utf-8", func(buf []byte) ([]byte, error) {
			return append(buf, dotenv(b)...), nil
		})
		return
	}
	_ = httpx.WriteBody(w, http.StatusOK, "application/json", func(buf []byte) ([]byte, error) {
		return appendBundle(buf, b), nil
	})
}

// parseETag reads a revision from If-None-Match; anything else (a list, a
// weak tag, *) is ignored, which costs a full answer, never a wrong 304.
func parseETag(v string) *int64 {
	v = strings.TrimSpace(v)
	if len(v) < 3 || v[0] != '"' || v[len(v)-1] != '"' {
		return nil
	}
	n, err := strconv.ParseInt(v[1:len(v)-1], 10, 64)
	if err != nil {
		return nil
	}
	return &n
}

// noCache reports whether the request asks for an answer revalidated with
// the origin (Cache-Control: no-cache or max-age=0, or the older Pragma),
// which makes the bulk read check the environment's revision in the
// database instead of this instance's cache.
func noCache(h http.Header) bool {
	for _, v := range h.Values("Cache-Control") {
		for d := range strings.SplitSeq(v, ",") {
			switch strings.ToLower(strings.TrimSpace(d)) {
			case "no-cache", "max-age=0":
				return true
			}
		}
	}
	return strings.EqualFold(strings.TrimSpace(h.Get("Pragma")), "no-cache")
}

// dotenv renders b as a dotenv file. Unlike the JSON answer it goes
// through strings, which the collector frees unwiped: godotenv's quoting
// is the format's reference, and dotenv answers are rare next to JSON.
func dotenv(b *service.Bundle) string {
	m := make(map[string]string, len(b.Secrets))
	for i, s := range b.Secrets {
		m[s.Key] = string(b.Values[i])
	}
	out, _ := godotenv.Marshal(m) // Marshal fails only on a writer error; it writes to a buffer
	return out + "\n"
}

// putSecrets is the bulk upsert and import: JSON or a dotenv body, all or
// nothing.
func (s *Server) putSecrets(w http.ResponseWriter, r *http.Request) {
	var opts service.ImportOptions
	var err error
	if opts.DryRun, err = boolParam(r, "dry_run"); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if opts.Prune, err = boolParam(r, "prune"); err != nil {
		httpx.Error(w, r, err)
		return
	}
	inputs, err := readImport(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	res, err := s.svc.Import(r.Context(), r.PathValue("project"), r.PathValue("env"), inputs, opts)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	respond(w, r, http.StatusOK, api.ImportResult{
		Revision: res.Revision, DryRun: res.DryRun, Created: nonNil(res.Created), Updated: nonNil(res.Updated),
		Unchanged: nonNil(res.Unchanged), Deleted: nonNil(res.Deleted),
	}, nil)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func readImport(r *http.Request) ([]coffer.SecretInput, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "text/plain" {
		var req api.PutSecretsRequest
		if err := httpx.DecodeJSON(r, &req); err != nil {
			return nil, err
		}
		inputs := make([]coffer.SecretInput, len(req.Secrets))
		for i, in := range req.Secrets {
			inputs[i] = coffer.SecretInput{Key: in.Key, Value: in.Value, Comment: in.Comment}
		}
		return inputs, nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, bodyError(err)
	}
	return parseDotenv(string(body))
}

func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return coffer.Errorf(coffer.ETOOLARGE, "The body is over %d bytes.", mbe.Limit)
	}
	return coffer.Errorf(coffer.EINVALID, "The body could not be read.")
}

// parseDotenv reads a .env file in the order it names its keys.
func parseDotenv(body string) ([]coffer.SecretInput, error) {
	values, err := godotenv.Unmarshal(body)
	if err != nil {
		return nil, coffer.Errorf(coffer.EINVALID, "The dotenv body cannot be parsed: %s.", dotenvReason(err))
	}
	var inputs []coffer.SecretInput
	for _, line := range strings.Split(body, "\n") {
		key, _, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "export "), "=")
		key = strings.TrimSpace(key)
		if v, seen := values[key]; ok && seen {
			inputs = append(inputs, coffer.SecretInput{Key: key, Value: v})
			delete(values, key)
		}
	}
	for key, v := range values { // keys the line scan missed (multi-line forms)
		inputs = append(inputs, coffer.SecretInput{Key: key, Value: v})
	}
	return inputs, nil
}

// dotenvReason keeps the parser's message short and free of values.
func dotenvReason(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ":"); i > 0 {
		msg = msg[:i]
	}
	return fmt.Sprintf("%.80s", msg)
}

func (s *Server) getSecret(w http.ResponseWriter, r *http.Request) {
	sec, err := s.svc.Secret(r.Context(), r.PathValue("project"), r.PathValue("env"), r.PathValue("key"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	respond(w, r, http.StatusOK, wireSecret(sec), nil)
}

func (s *Server) putSecret(w http.ResponseWriter, r *http.Request) {
	var req api.PutSecretRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	in := coffer.SecretInput{Key: r.PathValue("key"), Value: req.Value, Comment: req.Comment}
	sec, created, err := s.svc.PutSecret(r.Context(), r.PathValue("project"), r.PathValue("env"), in)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	respond(w, r, status, wireSecret(sec), nil)
}

func (s *Server) deleteSecret(w http.ResponseWriter, r *http.Request) {
	respond(w, r, http.StatusNoContent, nil, s.svc.DeleteSecret(r.Context(), r.PathValue("project"), r.PathValue("env"), r.PathValue("key")))
}

func (s *Server) listSecretVersions(w http.ResponseWriter, r *http.Request) {
	limit, err := pageLimit(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	before := 0
	if c := r.URL.Query().Get("cursor"); c != "" {
		if before, err = strconv.Atoi(c); err != nil || before < 1 {
			httpx.Error(w, r, coffer.Errorf(coffer.EINVALID, "The cursor is not valid."))
			return
		}
	}
	versions, err := s.svc.SecretVersions(r.Context(), r.PathValue("project"), r.PathValue("env"), r.PathValue("key"), before, limit+1)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	out := api.SecretVersionList{}
	if len(versions) > limit {
		versions = versions[:limit]
		out.NextCursor = strconv.Itoa(versions[limit-1].Version)
	}
	out.Versions = make([]api.SecretVersion, len(versions))
	for i, v := range versions {
		out.Versions[i] = api.SecretVersion{
			Version: int64(v.Version), Comment: v.Comment, CreatedAt: v.CreatedAt,
			CreatedBy: wireActor(v.CreatedBy), Deleted: v.Deleted,
		}
		if !v.Deleted {
			val := v.Value
			out.Versions[i].Value = &val
		}
	}
	respond(w, r, http.StatusOK, out, nil)
}

// listDeletedSecrets pages through the deleted keys that can be restored;
// the cursor is the last key of the previous page.
func (s *Server) listDeletedSecrets(w http.ResponseWriter, r *http.Request) {
	limit, err := pageLimit(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	after := r.URL.Query().Get("cursor")
	if after != "" && coffer.ValidateKey(after) != nil {
		httpx.Error(w, r, coffer.Errorf(coffer.EINVALID, "The cursor is not valid."))
		return
	}
	deleted, err := s.svc.DeletedSecrets(r.Context(), r.PathValue("project"), r.PathValue("env"), after, limit+1)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	out := api.DeletedSecretList{}
	if len(deleted) > limit {
		deleted = deleted[:limit]
		out.NextCursor = deleted[limit-1].Key
	}
	out.Secrets = make([]api.DeletedSecret, len(deleted))
	for i, d := range deleted {
		out.Secrets[i] = api.DeletedSecret{
			Key: d.Key, Version: int64(d.Version), DeletedAt: d.DeletedAt, DeletedBy: wireActor(d.DeletedBy),
			RestoreVersion: int64(d.RestoreVersion),
		}
	}
	respond(w, r, http.StatusOK, out, nil)
}

func (s *Server) rollbackSecret(w http.ResponseWriter, r *http.Request) {
	var req api.RollbackSecretRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if req.Version < 1 || req.Version > 1<<31 {
		httpx.Error(w, r, coffer.Errorf(coffer.EINVALID, "version must be 1 or more."))
		return
	}
	sec, err := s.svc.Rollback(r.Context(), r.PathValue("project"), r.PathValue("env"), r.PathValue("key"), int(req.Version))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	respond(w, r, http.StatusOK, wireSecret(sec), nil)
}
