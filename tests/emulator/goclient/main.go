// A Go client of the emulator as a custom cloud, standard library only: it trusts the emulator's
// test CA through SSL_CERT_FILE (Go's default roots), reads the cloud metadata the way a client
// given metadata_host does, signs in at the login endpoint it names, and calls Graph at the
// resource it names. It prints one JSON object with what it found (never the token or secret).
//
// Environment: EMU_HOST (host:port), EMU_TENANT, EMU_CLIENT_ID, EMU_CLIENT_SECRET, EMU_PATH (a
// Graph path with query, after the version).
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
)

type metadata struct {
	Name           string `json:"name"`
	Authentication struct {
		LoginEndpoint string `json:"loginEndpoint"`
	} `json:"authentication"`
	MicrosoftGraphResourceID string `json:"microsoftGraphResourceId"`
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func main() {
	client := &http.Client{}
	resp, err := client.Get(fmt.Sprintf("https://%s/metadata/endpoints?api-version=2022-09-01", os.Getenv("EMU_HOST")))
	if err != nil {
		fail("metadata: %v", err)
	}
	var md metadata
	if err := json.NewDecoder(resp.Body).Decode(&md); err != nil || resp.StatusCode != 200 {
		fail("metadata: status %d, %v", resp.StatusCode, err)
	}
	resp.Body.Close()

	graph := strings.TrimSuffix(md.MicrosoftGraphResourceID, "/")
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {os.Getenv("EMU_CLIENT_ID")},
		"client_secret": {os.Getenv("EMU_CLIENT_SECRET")},
		"scope":         {graph + "/.default"},
	}
	resp, err = client.PostForm(fmt.Sprintf("%s/%s/oauth2/v2.0/token", md.Authentication.LoginEndpoint, os.Getenv("EMU_TENANT")), form)
	if err != nil {
		fail("token: %v", err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 {
		fail("token: status %d, %v", resp.StatusCode, err)
	}
	resp.Body.Close()

	req, _ := http.NewRequest(http.MethodGet, graph+"/"+os.Getenv("EMU_PATH"), nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = client.Do(req)
	if err != nil {
		fail("graph: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	out, _ := json.Marshal(map[string]any{
		"cloud": md.Name, "login": md.Authentication.LoginEndpoint, "graph": graph,
		"status": resp.StatusCode, "body": json.RawMessage(body),
	})
	fmt.Println(string(out))
}
