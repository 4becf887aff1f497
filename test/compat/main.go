// Command compose-load loads a compose file with compose-go, the loader docker compose uses, and prints the
// project as JSON (environment files resolved), or the error on stderr with exit status 1. It is the reference
// test/compat/compose-go.test.ts compares `stack`'s loader with (issue 22).
//
// Usage: compose-load DIR [FILE...] — the project folder (its .env is read) and the files, as `docker compose -f`.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-load DIR [FILE...]")
		os.Exit(2)
	}
	dir := os.Args[1]
	files := []string{}
	for _, f := range os.Args[2:] {
		files = append(files, filepath.Join(dir, f))
	}
	if len(files) == 0 {
		files = append(files, filepath.Join(dir, "compose.yaml"))
	}
	opts, err := cli.NewProjectOptions(files,
		cli.WithWorkingDirectory(dir),
		cli.WithOsEnv,
		cli.WithEnvFiles(),
		cli.WithDotEnv,
		cli.WithConfigFileEnv,
		cli.WithDefaultProfiles(),
	)
	if err != nil {
		fail(err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	project, err = project.WithServicesEnvironmentResolved(true)
	if err != nil {
		fail(err)
	}
	out, err := project.MarshalJSON()
	if err != nil {
		fail(err)
	}
	var pretty any
	if err := json.Unmarshal(out, &pretty); err != nil {
		fail(err)
	}
	encoded, _ := json.MarshalIndent(pretty, "", "  ")
	fmt.Println(string(encoded))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
