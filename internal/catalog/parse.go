package catalog

// ParseCatalogue parses and validates a models section from YAML bytes;
// name prefixes errors. Unlike LoadCatalogue it does not layer the built-in
// models underneath, so a gateway config can list exactly what it serves.
func ParseCatalogue(data []byte, name string) (*Catalogue, error) {
	return parseCatalogue(data, name)
}
