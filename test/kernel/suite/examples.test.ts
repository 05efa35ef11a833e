// Every runnable code example of README.md, CONTRIBUTING.md and docs/**/*.md, run as a user would
// run it (a file of its own, `fwctl` from node_modules, the CLI on PATH) in
// the main boot, against the kernel's own mlx5, bnxt and pds fwctl drivers over
// the emulated firmware; in the Node matrix boots too (scripts/test.js), so
// under every supported Node line. Markers: test/examples/examples.ts.
import { exampleTests } from '../../examples/suite';

exampleTests('main');
