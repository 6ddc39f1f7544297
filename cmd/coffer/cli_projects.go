package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer/api"
)

func newProjectsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "projects", Short: "List the projects you belong to"}
	list := &cobra.Command{
		Use:     "list",
		Short:   "List your projects with your role in each",
		Example: "  coffer projects list\n  coffer projects list --output json",
		Args:    cobra.NoArgs,
	}
	output := outputFlag(list)
	list.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		format, err := output()
		if err != nil {
			return err
		}
		_, c, err := connect()
		if err != nil {
			return err
		}
		projects := []api.Project{}
		for cursor := ""; ; {
			page, err := c.Projects(cmd.Context(), cursor, 0)
			if err != nil {
				return err
			}
			projects = append(projects, page.Projects...)
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if format == outputJSON {
			return printJSON(cmd.OutOrStdout(), projects)
		}
		rows := make([][]string, 0, len(projects))
		for _, p := range projects {
			rows = append(rows, []string{string(p.Slug), p.Name, string(p.Role)})
		}
		return printTable(cmd.OutOrStdout(), []string{"SLUG", "NAME", "ROLE"}, rows)
	})
	cmd.AddCommand(cliCommand(list))
	return cliCommand(cmd)
}

func newEnvsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "envs", Short: "List a project's environments"}
	var project string
	list := &cobra.Command{
		Use:     "list",
		Short:   "List the environments of a project with their revisions",
		Example: "  coffer envs list --project shop",
		Args:    cobra.NoArgs,
	}
	list.Flags().StringVarP(&project, "project", "p", "", "project slug (required)")
	output := outputFlag(list)
	list.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		format, err := output()
		if err != nil {
			return err
		}
		if err := requireFlag("project", project); err != nil {
			return err
		}
		_, c, err := connect()
		if err != nil {
			return err
		}
		envs, err := c.Environments(cmd.Context(), project)
		if err != nil {
			return err
		}
		if format == outputJSON {
			return printJSON(cmd.OutOrStdout(), envs)
		}
		rows := make([][]string, 0, len(envs))
		for _, e := range envs {
			rows = append(rows, []string{string(e.Slug), e.Name, fmt.Sprint(e.Revision)})
		}
		return printTable(cmd.OutOrStdout(), []string{"SLUG", "NAME", "REVISION"}, rows)
	})
	cmd.AddCommand(cliCommand(list))
	return cliCommand(cmd)
}
