package clinical

// EndpointByName exposes endpointByName to the external tests of the mesh.
func (ps *PairedStats) EndpointByName(name string) *PairedEndpoint { return ps.endpointByName(name) }
