"""The env family's catalogue: every outcome of ENV001–ENV008 with its title, why it
matters, hint and fix (what `deploy-check list` and `explain ENV00N` print)."""

from __future__ import annotations

from checks.core.model import Spec

FIX_ENV = "deploy-check provision env"

ENV001 = Spec(
    "ENV001", "env", "An env file supplies the app's variables",
    "The app reads its configuration from `.env.local` (or the process environment, which "
    "wins, as in Next.js). Without either, nothing else can be configured.",
    "Create .env.local from .env.local.example.", FIX_ENV,
)
ENV002 = Spec(
    "ENV002", "env", "An .env.local.example documents the variables",
    "The example file is the contract of which variables the app needs; without it no "
    "required variable can be checked.",
    "Commit a .env.local.example listing every variable, with `# Optional` markers.",
)
ENV003 = Spec(
    "ENV003", "env", "Required variables are filled",
    "Every key of the example that is not marked optional must have a non-empty value in "
    "the process environment or `.env.local`. Optional: an inline `# optional…` comment; a "
    "comment starting with `optional` (or marking itself `(Optional)`) over a block, up to the "
    "next blank or comment line; a section banner titled `optional…` (`###### OPTIONAL ENV "
    "VARS ######`), up to the next banner or a comment saying required.",
    "Fill them in .env.local (see .env.local.example).", FIX_ENV,
)
ENV004 = Spec(
    "ENV004", "env", "No value is a placeholder",
    "Values such as `your-api-key`, `<password>`, `changeme`, `xxxx` or "
    "`user:password@host` are copied from docs, not provisioned. A secret (a name saying SECRET, "
    "PASSWORD, TOKEN, …_KEY, or a token-shaped value) equal to the committed example's is published; "
    "a region, an id, a JWT issuer/audience, a NEXT_PUBLIC_ value or a URL to this machine only "
    "(the example's localhost database) may be copied as is.",
    "Replace each placeholder with the real value from the provider's console; generate a new "
    "value (`openssl rand -base64 32`) for a secret the app chooses itself (AUTH_SECRET, a "
    "session secret): `deploy-check provision env` never overwrites a value.",
)
ENV005 = Spec(
    "ENV005", "env", "Every variable in .env.local is documented",
    "A key in `.env.local` that the example does not list is invisible to the next "
    "engineer and to CI (warning).",
    "Add the key to .env.local.example (mark it `# Optional` if it is).",
)
ENV006 = Spec(
    "ENV006", "env", ".env.local is ignored by git",
    "`.env.local` (every `.env*.local`, `.env.sentry-build-plugin`) holds secrets; it must be "
    "git-ignored and never tracked. `.env`, `.env.development`, `.env.production` and "
    "`.env.test` are Next.js's defaults, which may be committed: one that holds no secret is "
    "a warning (a secret added later would be committed with it), one that holds a secret fails.",
    "Add `.env*.local` to .gitignore; if tracked, run `git rm --cached .env.local` and "
    "rotate every secret it held.",
)
ENV007 = Spec(
    "ENV007", "env", "No server secret is exposed through NEXT_PUBLIC_",
    "Next.js inlines every `NEXT_PUBLIC_*` variable into the browser bundle; a name that "
    "says SECRET, SALT, TOKEN, PASSWORD, PRIVATE or SERVICE_ROLE is a secret sent to "
    "every visitor (not a token made for the browser, such as Mixpanel's project token, "
    "unless its value has a secret's shape).",
    "Rename the key without NEXT_PUBLIC_ and read it on the server only; rotate the value.",
)
ENV008 = Spec(
    "ENV008", "env", "Env files are well-formed",
    "A malformed line is silently dropped by dotenv and a duplicate key silently takes "
    "the last value: both hide what the app really sees.",
    "Fix or remove the listed lines so each key is assigned once.",
)
