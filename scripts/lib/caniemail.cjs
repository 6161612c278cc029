// Checks HTML emails against caniemail data (@jsx-email/doiuse-email) for Gmail, Apple Mail
// and Outlook.com: fails on any unsupported feature, and on any partial one not listed
// below with the reason it does no harm. Usage: node caniemail.cjs FILE.html…
"use strict";
const fs = require("fs");
const { DoIUseEmail } = require("@jsx-email/doiuse-email");

// doiuse-email's client list leaves out Outlook.com, which caniemail's data has.
const CLIENTS = ["gmail.*", "apple-mail.*"];
const EXTRA_CLIENTS = ["outlook.outlook-com"];

// Partial support we accept, and why (caniemail's own notes say what "partial" means).
const HARMLESS = {
  "<body> element":
    "Gmail and Outlook.com replace <body> with a <div>; its margin and background are repeated on the outer table",
  margin: "only negative margins are unsupported; the templates use none",
  display:
    "Gmail's apps with non-Google accounts drop flex/grid/contents; the templates use only block and inline-block",
  "max-width":
    "iOS Mail ignores it on <table>; the templates set it on a <div> (and a phone is narrower anyway)",
  "<ul>, <ol> and <dl>": "only the `reversed` attribute of <ol> is unsupported; the templates do not use it",
  "text-decoration":
    "Gmail's apps with non-Google accounts ignore it: the button's text may then be underlined, nothing more",
  "word-break":
    "\"buggy\" means break-word is applied as well, so codes may break anywhere; they are split into inline blocks at their separators first, so that is only a fallback",
};

let failed = false;
const partial = new Map();
for (const file of process.argv.slice(2)) {
  const checker = new DoIUseEmail({ emailClients: CLIENTS });
  checker.emailClients = [...checker.emailClients, ...EXTRA_CLIENTS];
  const result = checker.check(fs.readFileSync(file, "utf8"));
  for (const error of new Set(result.errors || [])) {
    console.error(`UNSUPPORTED in ${file}: ${error}`);
    failed = true;
  }
  for (const warning of result.warnings) {
    const m = warning.match(/^`(.+)` is only partially supported by `(.+)`$/);
    const [feature, client] = m ? [m[1], m[2]] : [warning, "?"];
    if (!partial.has(feature)) partial.set(feature, new Set());
    partial.get(feature).add(client);
  }
}
const files = process.argv.length - 2;
console.log(`caniemail: ${files} emails, clients ${[...CLIENTS, ...EXTRA_CLIENTS].join(" ")}`);
for (const [feature, clients] of [...partial].sort()) {
  const why = HARMLESS[feature];
  const line = `partial: \`${feature}\` in ${[...clients].sort().join(", ")}`;
  if (why) {
    console.log(`  ${line}: harmless, ${why}`);
  } else {
    console.error(`  ${line}: NOT REVIEWED; fix it or add why it is harmless to scripts/lib/caniemail.cjs`);
    failed = true;
  }
}
console.log(failed ? "caniemail: FAILED" : "caniemail: 0 unsupported, every partial feature reviewed");
process.exit(failed ? 1 : 0);
