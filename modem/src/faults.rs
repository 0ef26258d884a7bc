//! Fault injection: rules that match commands and change what the modem does, deterministically.
//!
//! A [`FaultRule`] matches a command by name (case-insensitive, with or without `AT`, e.g.
//! `%CMNG`, `AT+CFUN`; `AT` alone is the bare command) and optionally by a parameter pattern.
//! The pattern is a **glob** matched against the whole parameter text — the raw text after
//! `=` for a set command, `?` for a read, `=?` for a test, empty for an exec — where `*`
//! matches any run of characters (including none, commas and newlines) and every other
//! character matches itself (case-sensitive: parameters are verbatim). So `0,16842753,*`
//! matches every `%CMNG` write to that tag and `3,*` every delete; a pattern without `*` is
//! an exact match.
//!
//! Each rule counts the commands it matches and fires by the one firing rule of every
//! counted fault ([`Firing`]: [`FaultRule::nth`], [`FaultRule::times`],
//! [`FaultRule::always`]). When several rules fire on one command, all their effects apply;
//! the first answer-replacing action (CME / ERROR), in rule order, wins.

use std::time::Duration;

use provlab_proto::at::{AtCommand, CommandKind};

use crate::firing::Firing;

/// What a fired rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultAction {
    /// Answer `+CME ERROR: <n>` (plain `ERROR` under CMEE 0) without executing the command.
    Cme(u16),
    /// Answer plain `ERROR` without executing the command.
    Error,
    /// Execute normally, but the front end delays the answer by this long.
    Delay(Duration),
    /// Lose network time before executing: from now on `%CCLK?`/`+CCLK?` and timed `%JWT`
    /// fail until [`crate::Modem::set_network_time`] restores it.
    DropNetworkTime,
    /// Credential storage becomes full before executing: from now on credential writes and
    /// key generation answer CME 515 (memory full) until [`Faults::set_storage_full`] clears it.
    StorageFull,
    /// Execute and answer normally, then ask the front end to reboot the modem
    /// ([`crate::Reply::reboot`]).
    Reboot,
}

/// One fault rule (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    command: String,
    params: Option<String>,
    firing: Firing,
    action: FaultAction,
}

impl FaultRule {
    /// A rule on command `name` that fires on every match with `action`.
    pub fn new(name: &str, action: FaultAction) -> Self {
        Self {
            command: normalise_name(name),
            params: None,
            firing: Firing::every(),
            action,
        }
    }

    /// Only commands whose parameter text matches the glob `pattern`.
    pub fn params(mut self, pattern: impl Into<String>) -> Self {
        self.params = Some(pattern.into());
        self
    }

    /// Fire only on the `n`th matching command (1-based; 0 is treated as 1).
    pub fn nth(mut self, n: u32) -> Self {
        self.firing = self.firing.only_nth(n);
        self
    }

    /// Fire on `times` matching commands (after any skipped by [`FaultRule::nth`] /
    /// [`FaultRule::after`]).
    pub fn times(mut self, times: u32) -> Self {
        self.firing = self.firing.times(times);
        self
    }

    /// Let the first `n` matching commands pass before firing.
    pub fn after(mut self, n: u32) -> Self {
        self.firing = self.firing.after(n);
        self
    }

    /// Fire on every match (the default).
    pub fn always(mut self) -> Self {
        self.firing = self.firing.always();
        self
    }

    /// The rule with its firing replaced (a scenario's `nth` / `times`, as
    /// [`Firing::counts`] reads them).
    pub fn firing(mut self, firing: Firing) -> Self {
        self.firing = firing;
        self
    }

    /// The action.
    pub fn action(&self) -> FaultAction {
        self.action
    }

    /// Whether this rule's name and pattern match `cmd`.
    pub fn matches(&self, cmd: &AtCommand) -> bool {
        if self.command != cmd.name() {
            return false;
        }
        match &self.params {
            None => true,
            Some(pattern) => glob_match(pattern, &param_text(cmd)),
        }
    }
}

/// Identifies an added rule, for [`Faults::remove`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FaultId(u64);

/// A record of one fired rule, for transcripts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiredFault {
    /// The rule.
    pub id: FaultId,
    /// The command line that triggered it.
    pub command: String,
    /// Which matching occurrence it was (1-based).
    pub occurrence: u32,
    /// What it did.
    pub action: FaultAction,
}

#[derive(Debug, Clone)]
struct RuleState {
    id: FaultId,
    rule: FaultRule,
}

/// The modem's fault rules and fault state.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Vec<RuleState>,
    next_id: u64,
    storage_full: bool,
    fired: Vec<FiredFault>,
}

/// The combined effect of the rules that fired on one command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Effects {
    pub replace: Option<FaultAction>,
    pub delay: Duration,
    pub drop_network_time: bool,
    pub reboot: bool,
}

impl Faults {
    /// No rules, storage not full.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a rule (evaluated after the ones already present).
    pub fn add(&mut self, rule: FaultRule) -> FaultId {
        let id = FaultId(self.next_id);
        self.next_id += 1;
        self.rules.push(RuleState { id, rule });
        id
    }

    /// Removes a rule; returns whether it was present.
    pub fn remove(&mut self, id: FaultId) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.id != id);
        self.rules.len() != before
    }

    /// Removes every rule (the storage-full state stays as it is).
    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// Whether credential storage is full (writes answer CME 515).
    pub fn storage_full(&self) -> bool {
        self.storage_full
    }

    /// Sets or clears the storage-full state.
    pub fn set_storage_full(&mut self, full: bool) {
        self.storage_full = full;
    }

    /// Every rule firing so far, in order.
    pub fn fired(&self) -> &[FiredFault] {
        &self.fired
    }

    /// Counts `cmd` against every matching rule and returns the combined effect.
    pub(crate) fn evaluate(&mut self, cmd: &AtCommand) -> Effects {
        let mut effects = Effects::default();
        for state in &mut self.rules {
            if !state.rule.matches(cmd) {
                continue;
            }
            if !state.rule.firing.count() {
                continue;
            }
            let action = state.rule.action;
            self.fired.push(FiredFault {
                id: state.id,
                command: cmd.to_line(),
                occurrence: state.rule.firing.seen(),
                action,
            });
            match action {
                FaultAction::Cme(_) | FaultAction::Error => {
                    effects.replace.get_or_insert(action);
                }
                FaultAction::Delay(d) => effects.delay = effects.delay.saturating_add(d),
                FaultAction::DropNetworkTime => effects.drop_network_time = true,
                FaultAction::StorageFull => self.storage_full = true,
                FaultAction::Reboot => effects.reboot = true,
            }
        }
        effects
    }
}

/// Upper case, `AT` prefix removed when a name follows it; `AT` alone → `""` (bare command).
fn normalise_name(name: &str) -> String {
    let upper = name.trim().to_ascii_uppercase();
    match upper.strip_prefix("AT") {
        Some(rest) if rest.is_empty() || rest.starts_with(['+', '%', '#', '&', '$', '*', '^']) => {
            rest.to_owned()
        }
        _ => upper,
    }
}

/// The text a parameter pattern is matched against (see the module docs).
fn param_text(cmd: &AtCommand) -> String {
    match cmd.kind() {
        CommandKind::Exec => String::new(),
        CommandKind::Read => "?".to_owned(),
        CommandKind::Test => "=?".to_owned(),
        CommandKind::Set => cmd.raw_params().to_owned(),
    }
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Classic greedy matcher with backtracking to the last star: O(|p| * |t|) worst case.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("0,1,*", "0,1,\"x\r\ny\""));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "aXXbYc"));
        assert!(!glob_match("a*b*c", "aXXbY"));
        assert!(glob_match("3,16842753,2", "3,16842753,2"));
        assert!(!glob_match("3,16842753", "3,16842753,2"));
        assert!(glob_match("*,2", "3,16842753,2"));
    }

    #[test]
    fn names_normalise() {
        assert_eq!(normalise_name("at%cmng"), "%CMNG");
        assert_eq!(normalise_name("%cmng"), "%CMNG");
        assert_eq!(normalise_name("AT"), "");
        assert_eq!(normalise_name("+CFUN"), "+CFUN");
    }

    #[test]
    fn nth_and_times() {
        let cmd = AtCommand::parse("AT%CMNG=1").unwrap();
        let mut f = Faults::new();
        f.add(FaultRule::new("%CMNG", FaultAction::Error).nth(2));
        f.add(FaultRule::new("%cmng", FaultAction::Reboot).times(2));
        let fired: Vec<_> = (0..4).map(|_| f.evaluate(&cmd)).collect();
        assert_eq!(fired[0].replace, None);
        assert!(fired[0].reboot);
        assert_eq!(fired[1].replace, Some(FaultAction::Error));
        assert!(fired[1].reboot);
        assert_eq!(fired[2], Effects::default());
        assert_eq!(fired[3], Effects::default());
        assert_eq!(f.fired().len(), 3);
    }
}
