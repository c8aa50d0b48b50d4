/**
 * The README's two set-up commands, read from the README itself so the fresh-host check and
 * CI run what a new user reads: the first shell block of the set-up section runs the main job,
 * the second passes the tests.
 */
export interface ReadmeCommands {
  main: string;
  test: string;
}

export const SETUP_HEADING = /^## Set-up on a fresh Debian machine/m;

export function readmeSetupCommands(readme: string): ReadmeCommands {
  const start = readme.search(SETUP_HEADING);
  if (start < 0) throw new Error('README.md has no "## Set-up on a fresh Debian machine" section');
  const rest = readme.slice(start);
  const end = rest.slice(3).search(/^## /m);
  const section = end < 0 ? rest : rest.slice(0, end + 3);
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
  const [main, test] = blocks;
  if (!main || !test || blocks.length !== 2) throw new Error(`README.md's set-up section must hold exactly two sh blocks (the main job, the tests); it holds ${blocks.length}`);
  if (main.includes('\n') || test.includes('\n')) throw new Error("README.md's set-up commands must be one line each");
  return { main, test };
}
