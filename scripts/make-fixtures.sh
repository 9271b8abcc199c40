#!/usr/bin/env bash
# Makes the real test footage with ffmpeg lavfi sources into fixtures/generated/.
# Idempotent: only missing files are made, each written to a temp name then renamed, so an
# interrupted run never leaves a half fixture that later runs would trust.
# Usage: bash scripts/make-fixtures.sh [--bench]   (--bench adds the 60 s 1080p clip)
set -euo pipefail

cd "$(dirname "$0")/.."
out=fixtures/generated
mkdir -p "$out"
# temp names carry our pid, so concurrent runs never collide and an interrupted run cleans up after itself
trap 'rm -f "$out"/.tmp-$$-*' EXIT

FFMPEG=${FFMPEG:-ffmpeg}
if ! command -v "$FFMPEG" >/dev/null 2>&1; then
  echo "make-fixtures: ffmpeg not found ($FFMPEG); install it (apt-get install -y ffmpeg)" >&2
  exit 1
fi

bench=0
for arg in "$@"; do
  case "$arg" in
    --bench) bench=1 ;;
    *) echo "make-fixtures: unknown argument $arg" >&2; exit 2 ;;
  esac
done

ff=("$FFMPEG" -hide_banner -loglevel error -nostdin -y)

# produce NAME CMD...: runs CMD with the output path as its last argument, only if NAME is missing.
produce() {
  local name=$1
  shift
  [[ -s "$out/$name" ]] && return 0
  local ext=${name##*.}
  local tmp="$out/.tmp-$$-$name"
  # keep the real extension last so ffmpeg picks the right muxer
  tmp="${tmp%.*}.part.$ext"
  if "$@" "$tmp"; then
    mv -f "$tmp" "$out/$name"
    echo "make-fixtures: made $name"
  else
    rm -f "$tmp"
    echo "make-fixtures: failed to make $name" >&2
    return 1
  fi
}

video() { echo "testsrc2=size=$1:rate=$2:duration=$3"; }
tone() { echo "sine=frequency=440:sample_rate=48000:duration=$1"; }
x264=(-c:v libx264 -preset ultrafast -pix_fmt yuv420p -g 50)
aac=(-c:a aac -b:a 96k -ac 1)

produce h264-aac.mp4 "${ff[@]}" -f lavfi -i "$(video 1280x720 25 4)" -f lavfi -i "$(tone 4)" \
  "${x264[@]}" "${aac[@]}" -shortest \
  -metadata creation_time=2026-11-20T00:15:00Z -metadata location=+32.3500+106.8300/ \
  -metadata make=Acme -metadata model=BWC-9 \
  -movflags +faststart+use_metadata_tags

produce h264-aac-1080p.mp4 "${ff[@]}" -f lavfi -i "$(video 1920x1080 25 3)" -f lavfi -i "$(tone 3)" \
  "${x264[@]}" "${aac[@]}" -shortest -metadata creation_time=2026-11-20T01:00:00Z -movflags +faststart

produce hevc.mp4 "${ff[@]}" -f lavfi -i "$(video 640x360 25 3)" -f lavfi -i "$(tone 3)" \
  -c:v libx265 -preset ultrafast -x265-params log-level=error -pix_fmt yuv420p -tag:v hvc1 \
  "${aac[@]}" -shortest -movflags +faststart

produce mjpeg.avi "${ff[@]}" -f lavfi -i "$(video 640x360 25 3)" -f lavfi -i "$(tone 3)" \
  -c:v mjpeg -q:v 5 -pix_fmt yuvj420p -c:a pcm_s16le -shortest

produce h264-aac.mov "${ff[@]}" -f lavfi -i "$(video 640x360 25 3)" -f lavfi -i "$(tone 3)" \
  "${x264[@]}" "${aac[@]}" -shortest -metadata creation_time=2026-11-20T02:30:00Z -f mov

# moov at the end (no faststart), then keep only the first 40 %: the index is gone.
make_truncated() {
  local dst=$1
  local full="$out/.tmp-$$-full.mp4"
  "${ff[@]}" -f lavfi -i "$(video 640x360 25 3)" -f lavfi -i "$(tone 3)" \
    "${x264[@]}" "${aac[@]}" -shortest "$full" || { rm -f "$full"; return 1; }
  local size
  size=$(stat -c %s "$full")
  head -c $((size * 40 / 100)) "$full" >"$dst"
  rm -f "$full"
}
produce truncated.mp4 make_truncated

# Deterministic non-media bytes: base64 of a repeated text, never /dev/urandom.
# (pipefail off in the subshell: head closing the pipe early is the point, not an error)
make_not_video() {
  (
    set +o pipefail
    seq 1 20000 | base64 -w 76 | head -c 65536 >"$1"
  )
}
produce not-video.bin make_not_video

produce still.jpg "${ff[@]}" -f lavfi -i "$(video 640x360 25 1)" -frames:v 1 -q:v 3 -f image2

produce audio.m4a "${ff[@]}" -f lavfi -i "$(tone 3)" "${aac[@]}" -movflags +faststart

if [[ $bench == 1 ]]; then
  produce large-60s-1080p.mp4 "${ff[@]}" -f lavfi -i "$(video 1920x1080 30 60)" -f lavfi -i "$(tone 60)" \
    -c:v libx264 -preset veryfast -pix_fmt yuv420p -g 60 "${aac[@]}" -shortest \
    -metadata creation_time=2026-11-20T03:00:00Z -movflags +faststart
fi
