// Copies the browser files of our npm dependencies into app/static/vendor, so every page works offline.
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "app", "static", "vendor");

const copies = [
  {
    from: "swagger-ui-dist",
    to: "swagger-ui",
    files: ["swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png", "LICENSE"],
  },
  // The Socket.IO client of the agent console and the wallboard (the server is python-socketio 5: protocol v5).
  { from: "socket.io-client/dist", to: "socket.io", files: ["socket.io.min.js", "socket.io.min.js.map"] },
];

rmSync(vendor, { recursive: true, force: true });
for (const { from, to, files } of copies) {
  mkdirSync(join(vendor, to), { recursive: true });
  for (const file of files) {
    cpSync(join(root, "node_modules", from, file), join(vendor, to, file));
  }
}
writeFileSync(join(vendor, ".built"), new Date().toISOString() + "\n");
console.log(`vendor assets written to ${vendor}`);
