// Package apitest gives tests a validator for api/openapi.yaml, loaded once
// per test binary. It is imported by tests only, so the validator stays out
// of the coffer binary.
package apitest

import (
	"fmt"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/schema_validation"

	"github.com/cofferhq/coffer/api"
)

// Validator returns the contract's request and response validator.
var Validator = sync.OnceValues(func() (validator.Validator, error) {
	doc, err := libopenapi.NewDocument(api.Spec())
	if err != nil {
		return nil, err
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return v, nil
})

// SchemaValidator returns a check of JSON documents against the contract's
// schema name (under components/schemas), for payloads that are no HTTP
// response: the frames of the live feed. The check is safe for concurrent
// use.
func SchemaValidator(name string) (func(payload []byte) error, error) {
	doc, err := libopenapi.NewDocument(api.Spec())
	if err != nil {
		return nil, err
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		return nil, err
	}
	proxy, ok := model.Model.Components.Schemas.Get(name)
	if !ok {
		return nil, fmt.Errorf("no schema %q in the contract", name)
	}
	schema := proxy.Schema()
	if schema == nil {
		return nil, fmt.Errorf("schema %q: %w", name, proxy.GetBuildError())
	}
	sv := schema_validation.NewSchemaValidator()
	var mu sync.Mutex // the validator renders the schema in place: one check at a time
	return func(payload []byte) error {
		mu.Lock()
		defer mu.Unlock()
		if ok, errs := sv.ValidateSchemaBytes(schema, payload); !ok {
			reasons := make([]string, 0, len(errs))
			for _, e := range errs {
				reasons = append(reasons, e.Message+": "+e.Reason)
				for _, se := range e.SchemaValidationErrors {
					reasons = append(reasons, se.FieldPath+": "+se.Reason)
				}
			}
			return fmt.Errorf("%s breaks schema %s: %s", payload, name, strings.Join(reasons, "; "))
		}
		return nil
	}, nil
}
