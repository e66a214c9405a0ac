// Command pulumi-project-virtualenv prints the `virtualenv` runtime option of the Pulumi project at
// or above the working directory, made absolute, and nothing when there is none. It reads the
// project with Pulumi's own loader, so every form of Pulumi.yaml that Pulumi accepts (a runtime
// given as a string, or as a block or flow mapping with options) is read as Pulumi reads it. The
// Python launcher beside it (python-plugin.sh) asks it which Python to run.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

func main() {
	cwd, err := os.Getwd()
	if err != nil {
		fail("cannot read the working directory: %v", err)
	}
	path, err := workspace.DetectProjectPathFrom(cwd)
	if err != nil || path == "" {
		return // no project here: the launcher uses an activated virtualenv or python3
	}
	project, err := workspace.LoadProject(path)
	if err != nil {
		fail("cannot read %s: %v", path, err)
	}
	venv, _ := project.Runtime.Options()["virtualenv"].(string)
	if venv == "" {
		return
	}
	if !filepath.IsAbs(venv) {
		venv = filepath.Join(filepath.Dir(path), venv)
	}
	fmt.Printf("%s\t%s\n", venv, path)
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pulumi-project-virtualenv: "+format+"\n", args...)
	os.Exit(1)
}
