//! The command list, read from `commands.rs` itself: build.rs makes the permissions from it
//! and checks the capability against it, and the tests below check the handler and the UI's
//! Tauri transport against it. No second list is written by hand anywhere.

/// One command: its name and the arguments the window passes (not `State` or `AppHandle`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The function's name, which is the command's name.
    pub name: String,
    /// Its arguments as the UI names them (camelCase, as Tauri maps them).
    pub args: Vec<String>,
}

/// Every `#[tauri::command]` function in `source` (the text of commands.rs), in order.
pub fn commands(source: &str) -> Vec<Command> {
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find("#[tauri::command]") {
        rest = &rest[at + "#[tauri::command]".len()..];
        let Some(fn_at) = rest.find("fn ") else { break };
        let after = &rest[fn_at + 3..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let Some(open) = after.find('(') else { break };
        let Some(close) = matching_paren(&after[open..]) else {
            break;
        };
        let params = &after[open + 1..open + close];
        out.push(Command {
            name,
            args: arguments(params),
        });
    }
    out
}

/// The permission identifiers the capability must grant for `commands`.
pub fn permissions(commands: &[Command]) -> Vec<String> {
    commands
        .iter()
        .map(|c| format!("allow-{}", c.name.replace('_', "-")))
        .collect()
}

/// The command names registered by `tauri::generate_handler![…]` in `source`.
pub fn registered(source: &str) -> Vec<String> {
    let Some(start) = source.find("generate_handler![") else {
        return Vec::new();
    };
    let list = &source[start + "generate_handler![".len()..];
    let end = list.find(']').unwrap_or(list.len());
    list[..end]
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn matching_paren(text: &str) -> Option<usize> {
    let mut depth = 0i32;
    for (i, c) in text.char_indices() {
        match c {
            '(' | '<' => depth += 1,
            ')' | '>' => {
                depth -= 1;
                if depth == 0 && c == ')' {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn arguments(params: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut depth = 0i32;
    let mut current = String::new();
    for c in params.chars().chain([',']) {
        match c {
            '<' | '(' => depth += 1,
            '>' | ')' => depth -= 1,
            _ => {}
        }
        if c == ',' && depth == 0 {
            if let Some((name, ty)) = current.split_once(':') {
                let ty = ty.trim();
                let injected = ty.starts_with("State<") || ty.starts_with("AppHandle");
                if !injected {
                    args.push(camel_case(name.trim()));
                }
            }
            current.clear();
        } else {
            current.push(c);
        }
    }
    args
}

fn camel_case(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMANDS: &str = include_str!("commands.rs");
    const CAPABILITY: &str = include_str!("../capabilities/default.json");
    const TAURI_TS: &str = include_str!("../../ui/src/lib/api/tauri.ts");

    #[test]
    fn the_parser_reads_names_and_window_arguments() {
        let found = commands(
            "#[tauri::command]\npub async fn send(app: State<'_, App>, chat_id: Id, text: String) -> Result<Started> {}\n\
             #[tauri::command]\npub fn open_link(url: String) -> Result<()> {}",
        );
        assert_eq!(
            found,
            vec![
                Command {
                    name: "send".into(),
                    args: vec!["chatId".into(), "text".into()]
                },
                Command {
                    name: "open_link".into(),
                    args: vec!["url".into()]
                },
            ]
        );
    }

    #[test]
    fn the_handler_registers_every_command_once() {
        let declared: Vec<String> = commands(COMMANDS).into_iter().map(|c| c.name).collect();
        let mut registered = registered(COMMANDS);
        assert_eq!(
            declared.len(),
            registered.len(),
            "{declared:?} vs {registered:?}"
        );
        registered.sort();
        let mut sorted = declared.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, registered);
        assert!(
            declared.len() >= 30,
            "the parser found the commands: {declared:?}"
        );
    }

    #[test]
    fn the_capability_grants_exactly_the_commands() {
        let granted: Vec<&str> = CAPABILITY
            .split('"')
            .filter(|s| s.starts_with("allow-"))
            .collect();
        let mut wanted = permissions(&commands(COMMANDS));
        wanted.sort();
        let mut granted: Vec<String> = granted.into_iter().map(str::to_owned).collect();
        granted.sort();
        assert_eq!(granted, wanted);
    }

    /// Every `call<…>('name', {…})` in the UI's Tauri transport names a command and passes
    /// exactly its arguments.
    #[test]
    fn the_ui_transport_calls_commands_with_their_arguments() {
        let known = commands(COMMANDS);
        let mut calls = 0;
        for piece in TAURI_TS.split("call<").skip(1) {
            let Some(start) = piece.find("('") else {
                continue;
            };
            let name_and_rest = &piece[start + 2..];
            let Some(end) = name_and_rest.find('\'') else {
                continue;
            };
            let name = &name_and_rest[..end];
            let after = &name_and_rest[end + 1..];
            let args: Vec<String> = if after.trim_start().starts_with(',') {
                let open = after.find('{').expect("arguments are an object literal");
                let close = after.find('}').expect("arguments are an object literal");
                after[open + 1..close]
                    .split(',')
                    .map(|a| a.split(':').next().unwrap_or("").trim().to_owned())
                    .filter(|a| !a.is_empty())
                    .collect()
            } else {
                Vec::new()
            };
            let command = known
                .iter()
                .find(|c| c.name == name)
                .unwrap_or_else(|| panic!("tauri.ts calls {name:?}, which is no command"));
            let mut wanted = command.args.clone();
            wanted.sort();
            let mut given = args;
            given.sort();
            assert_eq!(given, wanted, "arguments of {name}");
            calls += 1;
        }
        assert!(calls >= 30, "the UI's calls were found ({calls})");
    }
}
