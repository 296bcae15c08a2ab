// Command promparse reads a metrics exposition on standard input with the parser the
// Prometheus server scrapes with (github.com/prometheus/prometheus/model/textparse) and prints
// every sample it reads as one JSON array on standard output:
//
//	[{"labels": {"__name__": "m", "a": "v"}, "value": 1, "valid": true}, ...]
//
// "valid" is what the scrape loop checks after parsing: metric and label names valid under
// Prometheus's default (UTF-8) name validation, label values valid UTF-8.
//
// Usage: promparse text|openmetrics < exposition
//
// The format is the first argument: "text" is the classic text format 0.0.4, "openmetrics" is
// OpenMetrics 1.0. A parse error is printed on standard error with exit status 1.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/textparse"
)

type sample struct {
	Labels map[string]string `json:"labels"`
	Value  float64           `json:"value"`
	Valid  bool              `json:"valid"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "promparse:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) != 2 {
		return errors.New("usage: promparse text|openmetrics < exposition")
	}
	var contentType string
	switch os.Args[1] {
	case "text":
		contentType = "text/plain; version=0.0.4; charset=utf-8"
	case "openmetrics":
		contentType = "application/openmetrics-text; version=1.0.0; charset=utf-8"
	default:
		return fmt.Errorf("unknown format %q: give text or openmetrics", os.Args[1])
	}
	body, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	p, err := textparse.New(body, contentType, labels.NewSymbolTable(), textparse.ParserOptions{})
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	samples := []sample{}
	for {
		entry, err := p.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if entry != textparse.EntrySeries {
			continue
		}
		_, _, value := p.Series()
		var lset labels.Labels
		p.Labels(&lset)
		valid := lset.IsValid(model.UTF8Validation)
		lset.Range(func(l labels.Label) {
			valid = valid && utf8.ValidString(l.Value)
		})
		samples = append(samples, sample{Labels: lset.Map(), Value: value, Valid: valid})
	}
	out := json.NewEncoder(os.Stdout)
	return out.Encode(samples)
}
