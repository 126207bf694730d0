// @ts-check
'use strict';
// Preloaded (node --require) into a process the bench does not control, such as the CLI's
// `sync --once`: when the process exits, writes its peak RSS as the kernel counted it
// (getrusage ru_maxrss) and its CPU time to the file named by SFO_BENCH_MAXRSS_FILE.

const fs = require('node:fs');

const file = process.env.SFO_BENCH_MAXRSS_FILE;
if (file) {
  process.once('exit', (code) => {
    const u = process.resourceUsage();
    fs.writeFileSync(file, JSON.stringify({
      code,
      maxRssMb: u.maxRSS / 1024,
      cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000,
      uptimeMs: process.uptime() * 1000,
    }));
  });
}
