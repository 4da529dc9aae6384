package wdbc

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math"
	"slices"
)

// splitSalt makes the golden-set draw specific to this split; changing it draws a different
// (equally valid) golden set and invalidates every committed artifact.
const splitSalt = "vigil-wdbc-golden-v1/"

// Split divides cases into a training part and a held-out golden part, stratified by class:
// within each class, round(goldenFraction x class size) cases go to the golden set. Which
// cases go is decided by ordering each class by SHA-256(splitSalt + ID), so the split is
// deterministic, independent of platform and Go version, and unrelated to file order. Both
// parts keep the input order. goldenFraction must lie in (0, 1); the input must have unique
// IDs and known labels.
func Split(cases []Case, goldenFraction float64) (train, golden []Case, err error) {
	if !(goldenFraction > 0 && goldenFraction < 1) {
		return nil, nil, fmt.Errorf("golden fraction %v: want a number strictly between 0 and 1", goldenFraction)
	}
	byClass := map[Class][]int{}
	seen := map[string]bool{}
	for i, c := range cases {
		if c.Label != Malignant && c.Label != Benign {
			return nil, nil, fmt.Errorf("case %s: label %v: want malignant or benign", c.ID, c.Label)
		}
		if seen[c.ID] {
			return nil, nil, fmt.Errorf("case id %s appears twice", c.ID)
		}
		seen[c.ID] = true
		byClass[c.Label] = append(byClass[c.Label], i)
	}
	inGolden := make([]bool, len(cases))
	for _, class := range []Class{Malignant, Benign} {
		members := byClass[class]
		keys := make(map[int][]byte, len(members))
		for _, i := range members {
			sum := sha256.Sum256([]byte(splitSalt + cases[i].ID))
			keys[i] = sum[:]
		}
		slices.SortFunc(members, func(a, b int) int { return bytes.Compare(keys[a], keys[b]) })
		take := int(math.Round(goldenFraction * float64(len(members))))
		for _, i := range members[:take] {
			inGolden[i] = true
		}
	}
	for i, c := range cases {
		if inGolden[i] {
			golden = append(golden, c)
		} else {
			train = append(train, c)
		}
	}
	return train, golden, nil
}
