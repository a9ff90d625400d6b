// Preloaded (`node --import`) into a harness process the benchmark times: on exit it prints the
// kernel's high-water mark of the process's resident memory, which no sampling can miss.
process.on("exit", () => {
  process.stderr.write(`\npeak-rss-kb ${process.resourceUsage().maxRSS}\n`);
});
