package audit

import (
	"context"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/storetest"
)

func hashedEvent() *coffer.AuditEvent {
	return &coffer.AuditEvent{
		Seq: 42, Time: time.Date(2026, 11, 27, 12, 0, 0, 123456000, time.UTC), ID: "0190c0de-0000-7000-8000-000000000001",
		ActorType: coffer.ActorUser, ActorID: "u1", Action: coffer.AuditSecretsRead, Outcome: coffer.OutcomeSuccess,
		ProjectID: "p", EnvironmentID: "e", IP: "10.0.0.1", UserAgent: "curl/8 ✓", RequestID: "r", Keys: []string{"A", "B_C", ""},
	}
}

// The encodings are part of every stored chain: a change to either makes
// existing audit logs fail to verify. The legacy value was computed by the
// code that wrote such events.
func TestHashIsStable(t *testing.T) {
	e := hashedEvent()
	for name, tt := range map[string]struct {
		hash func([]byte, *coffer.AuditEvent) []byte
		want string
	}{
		"Hash":       {Hash, "4593d19a16425890bdea4ed7477a1c1512609fae8690c852ef75880077d95cf2"},
		"legacyHash": {legacyHash, "f80002a80dec68686a49dddafc5615f661893a74d24de121b8b4d618db88e67d"},
	} {
		if got := hex.EncodeToString(tt.hash(nil, e)); got != tt.want {
			t.Errorf("%s = %s, want %s", name, got, tt.want)
		}
	}
}

// Every field of an event, and the hash before it, changes its hash.
func TestHashCoversEveryField(t *testing.T) {
	base := Hash([]byte("prev"), hashedEvent())
	for name, change := range map[string]func(e *coffer.AuditEvent){
		"Seq":           func(e *coffer.AuditEvent) { e.Seq++ },
		"Time":          func(e *coffer.AuditEvent) { e.Time = e.Time.Add(time.Microsecond) },
		"ID":            func(e *coffer.AuditEvent) { e.ID += "x" },
		"ActorType":     func(e *coffer.AuditEvent) { e.ActorType = coffer.ActorToken },
		"ActorID":       func(e *coffer.AuditEvent) { e.ActorID += "x" },
		"Action":        func(e *coffer.AuditEvent) { e.Action = coffer.AuditSecretRead },
		"Outcome":       func(e *coffer.AuditEvent) { e.Outcome = coffer.OutcomeFailure },
		"ProjectID":     func(e *coffer.AuditEvent) { e.ProjectID += "x" },
		"EnvironmentID": func(e *coffer.AuditEvent) { e.EnvironmentID += "x" },
		"Target":        func(e *coffer.AuditEvent) { e.Target += "x" },
		"IP":            func(e *coffer.AuditEvent) { e.IP += "x" },
		"UserAgent":     func(e *coffer.AuditEvent) { e.UserAgent += "x" },
		"RequestID":     func(e *coffer.AuditEvent) { e.RequestID += "x" },
		"KeyChanged":    func(e *coffer.AuditEvent) { e.Keys[0] = "Z" },
		"KeyAdded":      func(e *coffer.AuditEvent) { e.Keys = append(e.Keys, "D") },
		"KeyMoved":      func(e *coffer.AuditEvent) { e.Keys[1], e.Keys[2] = "", "B_C" },
		// Field boundaries count: the same bytes split differently.
		"Boundary": func(e *coffer.AuditEvent) { e.ProjectID, e.EnvironmentID = "pe", "" },
	} {
		e := hashedEvent()
		change(e)
		if got := Hash([]byte("prev"), e); string(got) == string(base) {
			t.Errorf("changing %s leaves the hash as it was", name)
		}
	}
	if got := Hash([]byte("other"), hashedEvent()); string(got) == string(base) {
		t.Error("changing the previous hash leaves the hash as it was")
	}
}

// A log whose older events carry legacy hashes verifies, and says how many
// do; a legacy hash on an edited event does not pass.
func TestVerifyAcceptsLegacyEvents(t *testing.T) {
	st := storetest.OpenSQLite(t)
	ctx := t.Context()
	var prev []byte
	for i := range 2 {
		e := hashedEvent()
		e.Seq, e.ID, e.PrevHash = int64(i+1), fmt.Sprintf("0190b000-0000-7000-8000-%012d", i), prev
		e.Hash = legacyHash(prev, e)
		prev = e.Hash
		if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertAuditEvents(ctx, []*coffer.AuditEvent{e}) }); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if err := st.Tx(ctx, func(tx *store.Tx) error { return Append(ctx, tx, hashedEvent()) }); err != nil {
			t.Fatal(err)
		}
	}
	if c, err := Verify(ctx, st); err != nil || c != (Chain{Events: 5, Legacy: 2}) {
		t.Fatalf("verify: %+v, %v; want 5 events, 2 legacy", c, err)
	}
	if _, err := st.DB().ExecContext(context.Background(), `UPDATE audit_events SET actor_id = 'someone-else' WHERE seq = 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(ctx, st); err == nil {
		t.Fatal("an edited legacy event verifies")
	}
}
