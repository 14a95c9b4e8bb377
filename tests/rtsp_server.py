"""A real RTSP server for the vision tests: GStreamer's gst-rtsp-server (Debian's packages).

Runs under the system Python (``/usr/bin/python3``, which has PyGObject), not the project venv:
    /usr/bin/python3 tests/rtsp_server.py PORT FILE.mp4      → rtsp://127.0.0.1:PORT/cam
The file must hold MPEG-4 Part 2 video in MP4 (the tests transcode vtest.avi with ffmpeg first);
it is sent as it is (no re-encoding), looped by the client reconnecting.
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main(port: str, path: str) -> None:
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(f"( filesrc location={path} ! qtdemux ! rtpmp4vpay name=pay0 pt=96 config-interval=1 )")
    factory.set_shared(True)
    server.get_mount_points().add_factory("/cam", factory)
    server.attach(None)
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
