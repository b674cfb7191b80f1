//! Keyboard shortcuts: one table, used both to dispatch keys and to draw the help overlay,
//! so the two can never disagree.

/// Everything the keyboard can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    /// Run to the next breakpoint or the end.
    Run,
    /// One step forward.
    Step,
    /// One step back.
    Back,
    /// Ten steps forward.
    Forward10,
    /// Ten steps back.
    Back10,
    /// Back to position 0.
    Reset,
    /// To the last step.
    End,
    /// Start or stop autoplay.
    Autoplay,
    /// Autoplay faster.
    Faster,
    /// Autoplay slower.
    Slower,
    /// Toggle a breakpoint on the current line.
    Breakpoint,
    /// Show or hide the help.
    Help,
    /// Light / dark.
    Theme,
    /// Presentation mode (large fonts).
    Present,
    /// Compare mode on / off.
    Compare,
    /// Copy a share link.
    Share,
    /// Show or hide the lessons.
    Lessons,
    /// Put the caret in the editor.
    Edit,
    /// Leave the editor (or close the help).
    Leave,
}

impl Command {
    /// What it does, for the help overlay.
    pub fn describe(self) -> &'static str {
        match self {
            Command::Run => "run to the next breakpoint or the end",
            Command::Step => "step forward",
            Command::Back => "step back",
            Command::Forward10 => "10 steps forward",
            Command::Back10 => "10 steps back",
            Command::Reset => "reset to the start",
            Command::End => "go to the last step",
            Command::Autoplay => "start / stop autoplay",
            Command::Faster => "autoplay faster",
            Command::Slower => "autoplay slower",
            Command::Breakpoint => "toggle a breakpoint on the current line",
            Command::Help => "show / hide this help",
            Command::Theme => "light / dark theme",
            Command::Present => "presentation mode (large fonts)",
            Command::Compare => "compare two kernels side by side",
            Command::Share => "copy a link to this view",
            Command::Lessons => "show / hide the lessons and exercises",
            Command::Edit => "edit the script",
            Command::Leave => "leave the editor / close this help",
        }
    }
}

/// Where the key was pressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    /// In the script editor: only function keys and Ctrl/Escape combinations act.
    Editor,
    /// In another form control (a select, the scrubber): the same, so the control keeps
    /// its own keys.
    Control,
    /// Anywhere else: single keys act too.
    Page,
}

/// A key as the browser reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key<'a> {
    /// `KeyboardEvent.key`.
    pub key: &'a str,
    /// Ctrl or Cmd held.
    pub ctrl: bool,
    /// Shift held.
    pub shift: bool,
    /// Alt held.
    pub alt: bool,
}

/// One row of the shortcut table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shortcut {
    /// The command.
    pub command: Command,
    /// Keys that work everywhere, even while typing (function keys, Ctrl+…).
    pub anywhere: &'static [&'static str],
    /// Single keys that work outside the editor and form controls.
    pub page: &'static [&'static str],
}

/// The table.
pub const SHORTCUTS: [Shortcut; 19] = [
    Shortcut {
        command: Command::Step,
        anywhere: &["F10"],
        page: &["→", "n", "."],
    },
    Shortcut {
        command: Command::Back,
        anywhere: &["Shift+F10", "F7"],
        page: &["←", "p", ","],
    },
    Shortcut {
        command: Command::Run,
        anywhere: &["F8", "Ctrl+Enter"],
        page: &["g", "Enter"],
    },
    Shortcut {
        command: Command::Forward10,
        anywhere: &[],
        page: &["PageDown", "Shift+→"],
    },
    Shortcut {
        command: Command::Back10,
        anywhere: &[],
        page: &["PageUp", "Shift+←"],
    },
    Shortcut {
        command: Command::Reset,
        anywhere: &["Shift+F8"],
        page: &["Home", "0"],
    },
    Shortcut {
        command: Command::End,
        anywhere: &[],
        page: &["End", "$"],
    },
    Shortcut {
        command: Command::Autoplay,
        anywhere: &["F6"],
        page: &["Space", "a"],
    },
    Shortcut {
        command: Command::Faster,
        anywhere: &[],
        page: &["]", "+"],
    },
    Shortcut {
        command: Command::Slower,
        anywhere: &[],
        page: &["[", "-"],
    },
    Shortcut {
        command: Command::Breakpoint,
        anywhere: &["F9"],
        page: &["b"],
    },
    Shortcut {
        command: Command::Help,
        anywhere: &["F1"],
        page: &["?", "h"],
    },
    Shortcut {
        command: Command::Theme,
        anywhere: &[],
        page: &["t"],
    },
    Shortcut {
        command: Command::Present,
        anywhere: &[],
        page: &["f"],
    },
    Shortcut {
        command: Command::Compare,
        anywhere: &[],
        page: &["c"],
    },
    Shortcut {
        command: Command::Share,
        anywhere: &[],
        page: &["s"],
    },
    Shortcut {
        command: Command::Lessons,
        anywhere: &[],
        page: &["l"],
    },
    Shortcut {
        command: Command::Edit,
        anywhere: &[],
        page: &["e"],
    },
    Shortcut {
        command: Command::Leave,
        anywhere: &["Escape"],
        page: &[],
    },
];

/// The spelling of `k` in the table (`Shift+F10`, `→`, `Space`, `Ctrl+Enter`).
pub fn spell(k: &Key<'_>) -> String {
    let base = match k.key {
        "ArrowRight" => "→",
        "ArrowLeft" => "←",
        " " | "Spacebar" => "Space",
        other => other,
    };
    let single_char = base.chars().count() == 1 && base != "→" && base != "←";
    let mut s = String::new();
    if k.ctrl {
        s.push_str("Ctrl+");
    }
    if k.alt {
        s.push_str("Alt+");
    }
    // Shift is part of a printed character (`?`, `$`, `+`); name it only for other keys.
    if k.shift && !single_char {
        s.push_str("Shift+");
    }
    s.push_str(base);
    s
}

/// The command for a key pressed with the focus in `focus`.
pub fn command_for(k: &Key<'_>, focus: Focus) -> Option<Command> {
    let s = spell(k);
    if let Some(sc) = SHORTCUTS
        .iter()
        .find(|sc| sc.anywhere.contains(&s.as_str()))
    {
        return Some(sc.command);
    }
    if focus != Focus::Page || k.ctrl || k.alt {
        return None;
    }
    SHORTCUTS
        .iter()
        .find(|sc| sc.page.contains(&s.as_str()))
        .map(|sc| sc.command)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(key: &str) -> Key<'_> {
        Key {
            key,
            ctrl: false,
            shift: false,
            alt: false,
        }
    }

    #[test]
    fn page_keys_act_only_outside_the_editor() {
        assert_eq!(
            command_for(&key("ArrowRight"), Focus::Page),
            Some(Command::Step)
        );
        assert_eq!(command_for(&key("ArrowRight"), Focus::Editor), None);
        assert_eq!(command_for(&key("n"), Focus::Control), None);
        assert_eq!(command_for(&key("F10"), Focus::Editor), Some(Command::Step));
        assert_eq!(command_for(&key(" "), Focus::Page), Some(Command::Autoplay));
        assert_eq!(
            command_for(&key("Escape"), Focus::Editor),
            Some(Command::Leave)
        );
        assert_eq!(command_for(&key("x"), Focus::Page), None);
        // A menu (a select) keeps the arrows, and Escape gives the keys back to the page.
        assert_eq!(command_for(&key("ArrowRight"), Focus::Control), None);
        assert_eq!(
            command_for(&key("Escape"), Focus::Control),
            Some(Command::Leave)
        );
    }

    #[test]
    fn modifiers_are_part_of_the_key() {
        let shift_f10 = Key {
            shift: true,
            ..key("F10")
        };
        assert_eq!(command_for(&shift_f10, Focus::Editor), Some(Command::Back));
        let ctrl_enter = Key {
            ctrl: true,
            ..key("Enter")
        };
        assert_eq!(command_for(&ctrl_enter, Focus::Editor), Some(Command::Run));
        let question = Key {
            shift: true,
            ..key("?")
        };
        assert_eq!(command_for(&question, Focus::Page), Some(Command::Help));
        let ctrl_n = Key {
            ctrl: true,
            ..key("n")
        };
        assert_eq!(
            command_for(&ctrl_n, Focus::Page),
            None,
            "Ctrl+N is the browser's"
        );
        let shift_right = Key {
            shift: true,
            ..key("ArrowRight")
        };
        assert_eq!(
            command_for(&shift_right, Focus::Page),
            Some(Command::Forward10)
        );
    }

    #[test]
    fn every_command_has_a_key_and_no_key_is_taken_twice() {
        let mut seen = std::collections::HashSet::new();
        for sc in SHORTCUTS {
            assert!(
                !sc.anywhere.is_empty() || !sc.page.is_empty(),
                "{:?}",
                sc.command
            );
            assert!(!sc.command.describe().is_empty());
            for k in sc.anywhere.iter().chain(sc.page) {
                assert!(seen.insert(*k), "{k} is bound twice");
            }
        }
    }
}
