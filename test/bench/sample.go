package main

import (
	"fmt"
	"slices"
)

// value is one measured number under its JSON key.
type value struct {
	key string
	v   float64
}

func val(key string, v float64) value { return value{key, v} }

// row is one line of the table: several values shown together, e.g.
// "2.00 / 2.00 / 1.00" for GETs / writes / events per object.
type row struct {
	label, format string
	keys          []string
}

// sample is what one run measured, in the order it was measured.
type sample struct {
	rows   []row
	values map[string]float64
}

func newSample() *sample { return &sample{values: map[string]float64{}} }

// add records a row of values; format has one verb per value.
func (s *sample) add(label, format string, vs ...value) {
	r := row{label: label, format: format}
	for _, v := range vs {
		r.keys = append(r.keys, v.key)
		s.values[v.key] = v.v
	}
	s.rows = append(s.rows, r)
}

// get is a value recorded earlier in the run (0 when there is none).
func (s *sample) get(key string) float64 { return s.values[key] }

// spread is min, median and max of one key over the runs.
type spread struct{ Min, Median, Max float64 }

// summary is every run's sample folded into min / median / max per key.
type summary struct {
	runs   int
	rows   []row
	spread map[string]spread
}

// summarize folds the runs. Rows appear in the order of the first run that
// recorded them; a key missing from a run (a phase it skipped) is left out
// of that key's spread rather than counted as 0.
func summarize(runs []*sample) summary {
	sum := summary{runs: len(runs), spread: map[string]spread{}}
	seen := map[string]bool{}
	for _, s := range runs {
		for _, r := range s.rows {
			if !seen[r.label] {
				seen[r.label] = true
				sum.rows = append(sum.rows, r)
			}
		}
	}
	for _, r := range sum.rows {
		for _, k := range r.keys {
			var vs []float64
			for _, s := range runs {
				if v, ok := s.values[k]; ok {
					vs = append(vs, v)
				}
			}
			sum.spread[k] = spreadOf(vs)
		}
	}
	return sum
}

func spreadOf(vs []float64) spread {
	if len(vs) == 0 {
		return spread{}
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	mid := len(s) / 2
	median := s[mid]
	if len(s)%2 == 0 {
		median = (s[mid-1] + s[mid]) / 2
	}
	return spread{Min: s[0], Median: median, Max: s[len(s)-1]}
}

// cell formats one row with the values picked from each key's spread.
func (sum summary) cell(r row, pick func(spread) float64) string {
	args := make([]any, len(r.keys))
	for i, k := range r.keys {
		args[i] = pick(sum.spread[k])
	}
	return fmt.Sprintf(r.format, args...)
}

// medians is the median of every key (the figures of the JSON line).
func (sum summary) medians() map[string]float64 {
	return sum.pick(func(s spread) float64 { return s.Median })
}

func (sum summary) pick(f func(spread) float64) map[string]float64 {
	out := make(map[string]float64, len(sum.spread))
	for k, s := range sum.spread {
		out[k] = f(s)
	}
	return out
}
