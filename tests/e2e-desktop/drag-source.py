"""A drag source for the desktop E2E: a small GTK window whose button offers a file, as a file
manager does, so that xdotool can drag it onto Hearth's window through the X server's real
drag-and-drop protocol. Usage: drag-source.py FILE X Y (the window's place on the screen)."""

import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, Gio, Gtk  # noqa: E402

path, x, y = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
uri = Gio.File.new_for_path(path).get_uri()

window = Gtk.Window(title="Hearth drag source")
window.set_default_size(140, 80)
window.move(x, y)
button = Gtk.Button(label="GGUF")
button.drag_source_set(Gdk.ModifierType.BUTTON1_MASK, [], Gdk.DragAction.COPY)
button.drag_source_add_uri_targets()
button.connect("drag-data-get", lambda _w, _ctx, data, _info, _time: data.set_uris([uri]))
window.add(button)
window.connect("destroy", Gtk.main_quit)
window.show_all()
print("ready", flush=True)
Gtk.main()
