package clinical

import "fmt"

// AnswerStatus says whether a call for one case produced a prediction. The zero value is
// not a status: Evaluate rejects answers that were never filled in.
type AnswerStatus uint8

const (
	// Answered: the call succeeded and the response carried one readable prediction.
	Answered AnswerStatus = iota + 1
	// AnswerFailed: the call failed, timed out, or its response could not be read.
	AnswerFailed
)

func (s AnswerStatus) String() string {
	switch s {
	case Answered:
		return "answered"
	case AnswerFailed:
		return "failed"
	default:
		return fmt.Sprintf("AnswerStatus(%d)", uint8(s))
	}
}

// FailureInvalidResponse is the Failure of an answer whose call succeeded but whose
// response had no readable prediction (missing outputs, a label that is neither class).
const FailureInvalidResponse = "InvalidResponse"

// FailureTimeout is the Failure of a call that ran out of its per-case time: the gRPC
// code name of DEADLINE_EXCEEDED.
const FailureTimeout = "DeadlineExceeded"

// Answer is what one target returned for one case.
type Answer struct {
	Status AnswerStatus
	// PredictedPositive is the model's label output read as a class (Answered only).
	PredictedPositive bool
	// Probability is the model's probability of the positive class in [0, 1] (Answered
	// only).
	Probability float64
	// Version is the model version that answered, as the response's model_version or the
	// x-vigil-model-version header named it (on failures too, when the server named it);
	// "" when nobody named one.
	Version string
	// Failure is the gRPC code name ("Internal", "DeadlineExceeded", ...) or
	// FailureInvalidResponse (AnswerFailed only).
	Failure string
	// Detail is the error message of a failure, for the evidence.
	Detail string
}

// Answers are one target's answers to a data set, one per case in data-set order.
type Answers struct {
	// Version is the version the requests were pinned to: the only one whose answers
	// count.
	Version string
	// PinnedBy says how the requests were pinned, e.g. "x-vigil-version=1.1.0-CLINICALVALID".
	PinnedBy string
	// Cases holds the answer to Dataset.Cases[i] at index i.
	Cases []Answer
}

// usable reports whether a is a prediction by the pinned version.
func (a Answer) usable(version string) bool {
	return a.Status == Answered && a.Version == version
}

// check validates answers against a data set of n cases.
func (a *Answers) check(role string, n int) error {
	if a.Version == "" {
		return configErrorf("%s answers: version is empty: name the version the requests were pinned to", role)
	}
	if len(a.Cases) != n {
		return configErrorf("%s answers: %d answers for %d cases: want one per case in data-set order", role, len(a.Cases), n)
	}
	for i, ans := range a.Cases {
		switch ans.Status {
		case Answered:
			if !(ans.Probability >= 0 && ans.Probability <= 1) {
				return configErrorf("%s answers: case %d: probability %v outside [0, 1]", role, i, ans.Probability)
			}
		case AnswerFailed:
			if ans.Failure == "" {
				return configErrorf("%s answers: case %d: failed without a failure code: name the gRPC code or %s", role, i, FailureInvalidResponse)
			}
		default:
			return configErrorf("%s answers: case %d: status %v is neither answered nor failed", role, i, ans.Status)
		}
	}
	return nil
}
