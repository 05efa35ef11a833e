// The documented examples marked boot=cxl (test/examples/examples.ts), run in
// the cxl boot: drivers/cxl over cxl_test's memdevs and the emulated memdev
// (FWCTL_CXLEMU_MEMDEV).
import { exampleTests } from '../../examples/suite';

exampleTests('cxl');
