#!/usr/bin/env bash
# Runs the exercise (/work/shared/seed: "Exercise 02: Compute & Storage
# Foundations") against a running Stratus, in the current directory, as a user
# types it: every part in order, or only the parts named, each with the
# variables the earlier parts left (kept in ./exercise-vars.sh).
#
#   STRATUS_ENDPOINT=http://127.0.0.1:4566 bash test/exercise/run.sh
#   EXERCISE_AWS=stratus bash test/exercise/run.sh 1-ec2 2-ebs
#
# See harness.sh for what happens to `sleep`, `date` and `aws ... wait` on a
# virtual clock. The parts' files say, in `# STRATUS:` comments, every place
# where the exercise's text could not run as written and what runs instead.
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/harness.sh"

parts=("$@")
if [ ${#parts[@]} -eq 0 ]; then
  parts=(0-prerequisites 1-ec2 2-ebs 3-s3 4-spot 5-cloudwatch 6-validation 7-cleanup)
fi
if [ -f exercise-vars.sh ]; then source exercise-vars.sh; fi
for part in "${parts[@]}"; do
  source "$EXERCISE_DIR/$part.sh"
  save_vars > exercise-vars.sh
done
