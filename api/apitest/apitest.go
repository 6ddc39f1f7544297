// Package apitest gives tests a validator for api/openapi.yaml, loaded once
// per test binary. It is imported by tests only, so the validator stays out
// of the coffer binary.
package apitest

import (
	"sync"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

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
