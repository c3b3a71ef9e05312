// Loads ./.env into process.env when it exists (Node's --env-file-if-exists prints a notice when
// it does not, which reads like a problem on every start).
import { existsSync } from "node:fs";

if (existsSync(".env")) process.loadEnvFile(".env");
