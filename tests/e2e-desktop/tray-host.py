"""A system tray for the desktop E2E: the StatusNotifierWatcher a desktop panel provides on the
session bus, so that Hearth's tray icon (libayatana-appindicator) registers with it as with a
real panel, and a panel's clicks on the icon's menu, sent over the dbusmenu protocol.

Reads commands on stdin, one per line, and answers one JSON line each:
  items           -> ["<bus name><object path>", ...]  the registered tray icons
  menu            -> [{"id": 1, "label": "Show Hearth"}, ...]  the newest icon's menu
  click LABEL     -> {"clicked": id}  clicks the menu item with that label
"""

import json
import sys
import threading

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

WATCHER_XML = """
<node>
  <interface name="org.kde.StatusNotifierWatcher">
    <method name="RegisterStatusNotifierItem"><arg type="s" direction="in"/></method>
    <method name="RegisterStatusNotifierHost"><arg type="s" direction="in"/></method>
    <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
    <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
    <property name="ProtocolVersion" type="i" access="read"/>
    <signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
    <signal name="StatusNotifierHostRegistered"/>
  </interface>
</node>
"""

items = []  # (bus name, object path)
bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)


def on_call(connection, sender, _path, _interface, method, params, invocation):
    if method == "RegisterStatusNotifierItem":
        (service,) = params.unpack()
        path = service if service.startswith("/") else "/StatusNotifierItem"
        name = sender if service.startswith("/") else service
        items.append((name, path))
        connection.emit_signal(
            None,
            "/StatusNotifierWatcher",
            "org.kde.StatusNotifierWatcher",
            "StatusNotifierItemRegistered",
            GLib.Variant("(s)", (name + path,)),
        )
    invocation.return_value(None)


def on_get(_connection, _sender, _path, _interface, prop):
    if prop == "RegisteredStatusNotifierItems":
        return GLib.Variant("as", [n + p for n, p in items])
    if prop == "IsStatusNotifierHostRegistered":
        return GLib.Variant("b", True)
    return GLib.Variant("i", 0)


def call(name, path, interface, method, args, reply):
    return bus.call_sync(name, path, interface, method, args, GLib.VariantType(reply), 0, 5000, None)


def menu_items():
    name, path = items[-1]
    menu_path = call(
        name, path, "org.freedesktop.DBus.Properties", "Get",
        GLib.Variant("(ss)", ("org.kde.StatusNotifierItem", "Menu")), "(v)",
    ).unpack()[0]
    layout = call(
        name, menu_path, "com.canonical.dbusmenu", "GetLayout",
        GLib.Variant("(iias)", (0, -1, ["label"])), "(u(ia{sv}av))",
    ).unpack()[1]
    found = []

    def walk(node):
        item_id, props, children = node
        if "label" in props:
            found.append({"id": item_id, "label": props["label"].replace("_", "")})
        for child in children:
            walk(child)

    walk(layout)
    return name, menu_path, found


def answer(command):
    if command == "items":
        return [n + p for n, p in items]
    if not items:
        return {"error": "no tray icon registered"}
    name, menu_path, found = menu_items()
    if command == "menu":
        return found
    if command.startswith("click "):
        label = command[len("click "):]
        match = [i for i in found if i["label"] == label]
        if not match:
            return {"error": f"no menu item {label!r} in {found}"}
        bus.call_sync(
            name, menu_path, "com.canonical.dbusmenu", "Event",
            GLib.Variant("(isvu)", (match[0]["id"], "clicked", GLib.Variant("i", 0), 0)),
            None, 0, 5000, None,
        )
        return {"clicked": match[0]["id"]}
    return {"error": f"unknown command {command!r}"}


def serve_stdin(loop):
    for line in sys.stdin:
        result = {}
        done = threading.Event()

        def run(command=line.strip()):
            try:
                result["value"] = answer(command)
            except GLib.Error as e:
                result["value"] = {"error": e.message}
            done.set()
            return False

        GLib.idle_add(run)
        done.wait()
        print(json.dumps(result["value"]), flush=True)
    loop.quit()


node = Gio.DBusNodeInfo.new_for_xml(WATCHER_XML)
bus.register_object("/StatusNotifierWatcher", node.interfaces[0], on_call, on_get, None)
Gio.bus_own_name_on_connection(bus, "org.kde.StatusNotifierWatcher", Gio.BusNameOwnerFlags.NONE, None, None)
loop = GLib.MainLoop()
threading.Thread(target=serve_stdin, args=(loop,), daemon=True).start()
print(json.dumps("ready"), flush=True)
loop.run()
