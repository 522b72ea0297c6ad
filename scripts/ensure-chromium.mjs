// Browser tests drive Debian's Chromium through playwright-core. Playwright cannot download its
// own browser here, so this checks for /usr/bin/chromium (or CHROMIUM_PATH) before the run and
// says how to install it, instead of letting every browser test fail one by one.
import fs from 'node:fs';
import { execSync } from 'node:child_process';

const candidate = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!fs.existsSync(candidate)) {
  const canApt = process.getuid?.() === 0 && fs.existsSync('/usr/bin/apt-get');
  if (canApt && process.env.VITRINE_NO_APT !== '1') {
    console.log("Chromium is missing: installing Debian's chromium package for the browser tests…");
    execSync(
      'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium',
      {
        stdio: 'inherit',
      },
    );
  } else {
    console.error(
      `Chromium was not found at ${candidate}. The browser tests need it: install Debian's ` +
        '"chromium" package (sudo apt-get install chromium) or set CHROMIUM_PATH.',
    );
    process.exit(1);
  }
}
