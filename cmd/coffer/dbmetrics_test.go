package main

import (
	"testing"

	"github.com/cofferhq/coffer/api"
)

// TestQueryLatencyMetric: every statement the store runs is timed into
// coffer_db_query_duration_seconds, labelled by its kind only.
func TestQueryLatencyMetric(t *testing.T) {
	s := startServer(t, "sqlite", nil)
	c, _ := s.signup(t, "owner")
	ok(c.CreateProject(t.Context(), api.CreateProjectRequest{Slug: "shop", Name: "Shop"})).get(t)
	mfs, err := s.Metrics.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]uint64{}
	for _, mf := range mfs {
		if mf.GetName() != "coffer_db_query_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				ops[l.GetValue()] += m.GetHistogram().GetSampleCount()
			}
		}
	}
	if ops["select"] == 0 || ops["insert"] == 0 {
		t.Fatalf("query latency samples by kind: %v", ops)
	}
	for op := range ops {
		switch op {
		case "select", "insert", "update", "delete", "with":
		default:
			t.Errorf("unexpected label value %q: statement kinds only", op)
		}
	}
}
