// Telemetry (issue 16): OpenTelemetry spans and metrics over HTTP and stdio, the Prometheus
// endpoint, when the SDK starts, and that nothing of it is loaded when it is off.
import './http.js'
import './stdio.js'
import './sdk.js'
import './off.js'
