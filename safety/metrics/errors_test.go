package metrics

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestQueryErrorMessage(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		err  *QueryError
		want string
	}{
		{
			name: "no data names the query, the time and the reason",
			err:  &QueryError{Query: "sum(rate(x[1m]))", At: at, Kind: KindNoData, Attempts: 1, Err: fmt.Errorf("%w: empty result", ErrNoData)},
			want: `query "sum(rate(x[1m]))" at 2026-11-25T10:00:00.000Z: no data: empty result`,
		},
		{
			name: "retried failure counts the attempts",
			err:  &QueryError{Query: "up", At: at, Kind: KindTransport, Attempts: 3, Err: errors.New("connection refused")},
			want: `query "up" at 2026-11-25T10:00:00.000Z: transport error after 3 attempts: connection refused`,
		},
		{
			name: "range query shows the range",
			err: &QueryError{Query: "up", Range: &Range{Start: at, End: at.Add(time.Minute), Step: 15 * time.Second},
				Kind: KindBadQuery, Attempts: 1, Err: errors.New("parse error")},
			want: `query "up" over 2026-11-25T10:00:00.000Z to 2026-11-25T10:01:00.000Z step 15s: bad query: parse error`,
		},
		{
			name: "a query with label matchers is backquoted so it can be copied",
			err:  &QueryError{Query: `sum(x{model="sepsis"})`, At: at, Kind: KindNoData, Attempts: 1, Err: fmt.Errorf("%w: empty result", ErrNoData)},
			want: "query `sum(x{model=\"sepsis\"})` at 2026-11-25T10:00:00.000Z: no data: empty result",
		},
		{
			name: "warnings are appended",
			err:  &QueryError{Query: "up", At: at, Kind: KindNoData, Attempts: 1, Warnings: []string{"partial response"}, Err: fmt.Errorf("%w: empty result", ErrNoData)},
			want: `query "up" at 2026-11-25T10:00:00.000Z: no data: empty result (prometheus warnings: partial response)`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Fatalf("Error() =\n  %s\nwant\n  %s", got, tc.want)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	seen := map[string]Kind{}
	for k := KindTransport; k <= KindNoData; k++ {
		s := k.String()
		if prev, dup := seen[s]; dup {
			t.Fatalf("kinds %d and %d share the name %q", prev, k, s)
		}
		seen[s] = k
	}
	if got := Kind(0).String(); got != "Kind(0)" {
		t.Fatalf("Kind(0).String() = %q", got)
	}
}
