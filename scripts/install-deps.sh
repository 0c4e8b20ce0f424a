#!/usr/bin/env bash
# Installs the system packages edge needs on Debian/Ubuntu, only those missing:
#   libopencv-dev            gocv (camera and video files) links against OpenCV 4.6
#   gstreamer1.0-plugins-base  GStreamer pipelines for cameras
#   mosquitto                a real MQTT broker for the end-to-end tests
#   pkg-config               how cgo finds OpenCV
#   qemu-user, libc6-arm64-cross  run the arm64 (Jetson) build and its NEON kernels in the tests
#   espeak-ng, pocketsphinx, pocketsphinx-en-us, sox, alsa-utils  speech out and voice questions (edge run --speak/--listen)
set -euo pipefail
want=(libopencv-dev gstreamer1.0-plugins-base mosquitto pkg-config qemu-user libc6-arm64-cross espeak-ng pocketsphinx pocketsphinx-en-us sox alsa-utils)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "edge: installing ${missing[*]} (OpenCV for gocv, GStreamer, mosquitto and qemu for the tests, espeak-ng and pocketsphinx for speech)" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
