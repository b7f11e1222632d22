package server

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// errorBody is every error response: what went wrong and, when a part of
// the request is at fault, which (a header, "body", a path parameter).
type errorBody struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// jsonBody is v as every JSON answer has it: without HTML escaping, and
// a newline after it.
func jsonBody(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return b.Bytes()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(jsonBody(v)) // the client may be gone; there is no one left to tell
}

func writeError(w http.ResponseWriter, status int, field, msg string) {
	writeJSON(w, status, errorBody{Error: msg, Field: field})
}
