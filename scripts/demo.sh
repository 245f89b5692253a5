#!/usr/bin/env bash
# `npm run demo`: the README's first quick-start command. Fetches the 1.2 MB TinyStories demo model,
# starts a story on the embedded SQLite default and plays three turns, streaming the prose.
# The model is a toy (it writes children's stories and ignores instructions); every stage runs for real.
set -euo pipefail
cd "$(dirname "$0")/.."
luna() { node bin/luna "$@"; }

# A team mirror checked out beside the repo (../shared/models) is used when present, e.g. on offline machines.
if [ -z "${LUNA_MODELS_MIRROR:-}" ] && [ -f ../shared/models/stories260K.gguf ]; then
  export LUNA_MODELS_MIRROR="file://$(cd ../shared/models && pwd)"
fi

luna init >/dev/null
luna models pull demo
id=$(luna story new --title "Lily and the Red Ball" --premise "Lily finds a big red ball in the park and wants to share it." --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).id))')
for action in "Lily picks up the red ball" "Lily shows the ball to her friend Tom" "Tom and Lily play until the sun goes down"; do
  printf '\n> %s\n' "$action"
  luna turn "$id" "$action"
done
printf '\nStory %s saved. Continue it with: node bin/luna play %s   (or: node bin/luna turn %s "…")\n' "$id" "$id" "$id"
