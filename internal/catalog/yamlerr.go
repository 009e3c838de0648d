package catalog

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// yamlTypeErr matches one of yaml.v3's type errors, e.g.
// "line 3: cannot unmarshal !!str `lots` into int64".
var yamlTypeErr = regexp.MustCompile("^line (\\d+): cannot unmarshal !!(\\w+)(?: `(.*)`)? into (.+)$")

// DescribeYAMLError rewrites yaml.v3's type errors so that each names the
// setting as well as the line: "line 3: limits.max_body_bytes: want int64,
// got string \"lots\"". Other errors are returned as they are. data is the
// document that failed to decode.
func DescribeYAMLError(data []byte, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return err
	}
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		msgs[i] = describeTypeError(&root, m)
	}
	return errors.New(strings.Join(msgs, "; "))
}

func describeTypeError(root *yaml.Node, msg string) string {
	g := yamlTypeErr.FindStringSubmatch(msg)
	if g == nil {
		return msg
	}
	line, _ := strconv.Atoi(g[1])
	path := findSetting(root, "", line, g[3])
	if path == "" {
		return msg
	}
	kind := map[string]string{"str": "string", "int": "integer", "float": "number", "bool": "boolean", "seq": "list", "map": "mapping", "null": "null"}[g[2]]
	if kind == "" {
		kind = g[2]
	}
	got := kind
	if g[2] != "seq" && g[2] != "map" {
		got += " " + strconv.Quote(g[3])
	}
	return "line " + g[1] + ": " + path + ": want " + g[4] + ", got " + got
}

// findSetting returns the dotted path of the value node on line whose text
// is value (for scalars) or that starts on line (for collections), the
// deepest such node winning.
func findSetting(n *yaml.Node, path string, line int, value string) string {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if p := findSetting(c, path, line, value); p != "" {
				return p
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			sub := k.Value
			if path != "" {
				sub = path + "." + k.Value
			}
			if p := findSetting(v, sub, line, value); p != "" {
				return p
			}
			if v.Line == line && (v.Kind != yaml.ScalarNode || v.Value == value) {
				return sub
			}
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			sub := path + "[" + strconv.Itoa(i) + "]"
			if p := findSetting(v, sub, line, value); p != "" {
				return p
			}
			if v.Line == line && (v.Kind != yaml.ScalarNode || v.Value == value) {
				return sub
			}
		}
	}
	return ""
}
