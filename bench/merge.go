package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// sectionHeading matches a section heading of BENCHMARKS.md, "## 4. Title".
var sectionHeading = regexp.MustCompile(`(?m)^## \d+\. (.+)$`)

type mdSection struct{ title, body string }

// mergeMarkdown puts rep's sections into the report old, replacing those
// with the same title and inserting new ones in report order; the rest of
// old is kept. Each merged section says that it was measured on its own,
// since the machine table at the top describes the run that wrote the
// file.
func mergeMarkdown(old string, rep *Report, ran []string) (string, error) {
	contents := strings.Index(old, "\n## Contents\n")
	if contents < 0 {
		return "", fmt.Errorf("no \"## Contents\" heading: not a report written by this benchmark")
	}
	head := old[:contents+1]
	var secs []mdSection
	locs := sectionHeading.FindAllStringSubmatchIndex(old, -1)
	for i, loc := range locs {
		end := len(old)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		secs = append(secs, mdSection{title: old[loc[2]:loc[3]], body: old[loc[1]:end]})
	}
	stamp := fmt.Sprintf("_Measured on its own by `go run ./bench -sections %s -merge` on %s (commit %s, %s mode, took %s, load average at start / end %s / %s); the machine table above describes the run that wrote the rest of this file._\n\n",
		strings.Join(ran, ","), rep.Machine.Date.Format("2006-01-02 15:04 UTC"), rep.Machine.Commit, rep.Mode,
		rep.Took.Round(time.Second), rep.Machine.LoadStart, rep.Machine.LoadEnd)
	for _, s := range rep.Sections {
		var b strings.Builder
		b.WriteString("\n\n" + stamp)
		s.writeBody(&b)
		secs = placeSection(secs, mdSection{title: s.Title, body: b.String()})
	}
	var b strings.Builder
	b.WriteString(head + "## Contents\n\n")
	for i, s := range secs {
		fmt.Fprintf(&b, "%d. [%s](#%s)\n", i+1, s.title, anchor(fmt.Sprintf("%d. %s", i+1, s.title)))
	}
	b.WriteString("\n")
	for i, s := range secs {
		fmt.Fprintf(&b, "## %d. %s%s", i+1, s.title, s.body)
	}
	return b.String(), nil
}

// placeSection replaces the section titled like s, or inserts s before the
// first section that comes after it in sectionNames.
func placeSection(secs []mdSection, s mdSection) []mdSection {
	order := func(title string) int {
		for i, n := range sectionNames {
			if sectionTitles[n] == title {
				return i
			}
		}
		return -1
	}
	for i := range secs {
		if secs[i].title == s.title {
			secs[i] = s
			return secs
		}
	}
	me := order(s.title)
	for i := range secs {
		if o := order(secs[i].title); o > me {
			return slices.Insert(secs, i, s)
		}
	}
	return append(secs, s)
}
