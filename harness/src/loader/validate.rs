//! The rules a scenario must follow beyond its types.

use std::collections::BTreeSet;
use std::ops::Range;

use crate::located::Located;
use crate::scenario::{DeviceSet, Expectation, Fault, FaultWindow, RuleSpec, Scenario, Step};

type Problems = Vec<(Range<usize>, String)>;

/// Every rule violation, with the span it concerns.
pub(crate) fn check(scenario: &Scenario) -> Problems {
    let mut c = Checker {
        scenario,
        problems: Vec::new(),
    };
    c.members_and_devices();
    c.faults();
    c.service_faults();
    c.steps();
    for expectation in &scenario.expect {
        c.expectation(expectation, false);
    }
    c.problems
}

struct Checker<'s> {
    scenario: &'s Scenario,
    problems: Problems,
}

fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

impl<'s> Checker<'s> {
    fn problem(&mut self, span: Range<usize>, message: String) {
        self.problems.push((span, message));
    }

    fn unique<'a>(&mut self, what: &str, names: impl Iterator<Item = &'a Located<String>>) {
        let mut seen = BTreeSet::new();
        for name in names {
            if !seen.insert(name.get().as_str()) {
                self.problem(
                    name.span(),
                    format!(
                        "{what} `{}` is defined twice; names must be unique",
                        name.get()
                    ),
                );
            }
        }
    }

    fn device_names(&self) -> String {
        list(self.scenario.devices.iter().map(|d| d.name.get().as_str()))
    }

    fn member(&mut self, name: &Located<String>) {
        let known = self
            .scenario
            .service
            .members
            .iter()
            .any(|m| m.name.get() == name.get());
        if !known {
            let members = list(
                self.scenario
                    .service
                    .members
                    .iter()
                    .map(|m| m.name.get().as_str()),
            );
            self.problem(
                name.span(),
                format!(
                    "unknown member `{}`: expected one of the [service] members ({members})",
                    name.get()
                ),
            );
        }
    }

    fn device(&mut self, name: &Located<String>) {
        if self.scenario.device(name.get()).is_none() {
            let devices = self.device_names();
            self.problem(
                name.span(),
                format!(
                    "unknown device `{}`: expected one of the [[device]] names ({devices})",
                    name.get()
                ),
            );
        }
    }

    /// A `device` key that may be left out only when there is one device.
    fn optional_device(
        &mut self,
        device: Option<&Located<String>>,
        span: Range<usize>,
        what: &str,
    ) {
        match device {
            Some(name) => self.device(name),
            None if self.scenario.devices.len() > 1 => {
                let devices = self.device_names();
                self.problem(
                    span,
                    format!("{what} must name its `device`: the scenario has several ({devices})"),
                );
            }
            None => {}
        }
    }

    fn members_and_devices(&mut self) {
        let scenario = self.scenario;
        if scenario.devices.is_empty() {
            self.problem(
                scenario.name.span(),
                "a scenario needs at least one [[device]]".to_owned(),
            );
        }
        self.unique("member", scenario.service.members.iter().map(|m| &m.name));
        self.unique("device", scenario.devices.iter().map(|d| &d.name));
        let created = scenario.steps.iter().filter_map(|s| match s.get() {
            Step::CreateRule(c) => Some(&c.rule.name),
            _ => None,
        });
        self.unique(
            "rule",
            scenario
                .service
                .rules
                .iter()
                .map(|r| &r.name)
                .chain(created),
        );
        for rule in &scenario.service.rules {
            self.rule(rule);
        }
        for device in &scenario.devices {
            match &device.claimed_by {
                Some(member) => self.member(member),
                None if !device.config.is_empty() => self.problem(
                    device.name.span(),
                    format!(
                        "device `{}` has a provisioning configuration but is not claimed: add `claimed_by = \"<member>\"`",
                        device.name.get()
                    ),
                ),
                None => {}
            }
            if device.config.len() > 20 {
                self.problem(
                    device.name.span(),
                    format!(
                        "device `{}` has {} configuration commands; the service holds at most 20",
                        device.name.get(),
                        device.config.len()
                    ),
                );
            }
        }
    }

    fn rule(&mut self, rule: &RuleSpec) {
        if rule.tags.is_empty() {
            self.problem(
                rule.name.span(),
                format!("rule `{}` needs at least one tag", rule.name.get()),
            );
        }
    }

    fn faults(&mut self) {
        let scenario = self.scenario;
        self.unique(
            "fault",
            scenario.faults.iter().filter_map(|f| f.name.as_ref()),
        );
        for fault in &scenario.faults {
            self.fault(fault);
        }
    }

    fn fault(&mut self, fault: &Fault) {
        let span = fault.kind.span();
        self.optional_device(fault.device.as_ref(), span.clone(), "a fault");
        if !fault.active && fault.name.is_none() {
            self.problem(
                span.clone(),
                "a fault with `active = false` needs a `name` for a `fault_on` step to switch it on".to_owned(),
            );
        }
        let spec = fault.kind.get().spec();
        let counts = spec.counts();
        if counts.nth == Some(0) || counts.times == Some(0) {
            self.problem(span.clone(), "`nth` and `times` count from 1".to_owned());
        }
        for problem in spec.problems() {
            self.problem(span.clone(), problem);
        }
    }

    /// `[[service.fault]]`: a service-wide kind without the keys a window refuses, known
    /// devices listed once, a `lasting` above 0s, and no two windows of one kind open over
    /// the same device at the same time.
    fn service_faults(&mut self) {
        let windows = &self.scenario.service.faults;
        for (i, window) in windows.iter().enumerate() {
            self.service_fault(window);
            let class = window.kind.get().class();
            let later = windows[i + 1..]
                .iter()
                .filter(|w| w.kind.get().class() == class && w.overlaps(window));
            for other in later {
                self.overlap(window, other);
            }
        }
    }

    fn service_fault(&mut self, window: &FaultWindow) {
        let span = window.kind.span();
        let kind = window.kind.get();
        let class = kind.class();
        if !class.service_wide() {
            self.problem(
                span.clone(),
                format!(
                    "a `{}` fault acts in one device, not in the service or the network, so it cannot be service-wide: a [[service.fault]] is one of {} (put a device's fault in [[fault]])",
                    class.key(),
                    FaultWindow::kinds_in_words()
                ),
            );
            return;
        }
        let written = kind.keys_written();
        for (key, why) in class.window_refuses() {
            if written.iter().any(|k| k == key) {
                self.problem(span.clone(), format!("`{key}` is not allowed here: {why}"));
            }
        }
        for problem in kind.spec().problems() {
            self.problem(span.clone(), problem);
        }
        if let DeviceSet::Named(names) = window.devices.get() {
            let mut seen = BTreeSet::new();
            for name in names {
                self.device(name);
                if !seen.insert(name.get().as_str()) {
                    self.problem(
                        name.span(),
                        format!("device `{}` is listed twice in `devices`", name.get()),
                    );
                }
            }
        }
        if let Some(lasting) = &window.lasting {
            if lasting.as_millis() == 0 {
                self.problem(
                    lasting.span(),
                    "`lasting` must be longer than 0s: a window of 0s never opens (leave `lasting` out for a window that stays open to the end)".to_owned(),
                );
            }
        }
    }

    /// `later` overlaps `earlier`, a window of the same kind: refused where they share
    /// devices (which answer would hold is not for the runner to guess).
    fn overlap(&mut self, earlier: &FaultWindow, later: &FaultWindow) {
        let names: Vec<&str> = self
            .scenario
            .devices
            .iter()
            .map(|d| d.name.get().as_str())
            .collect();
        let shared = later.devices.get().common(earlier.devices.get(), &names);
        if shared.is_empty() {
            return;
        }
        let span = if later.after.span().is_empty() {
            later.kind.span()
        } else {
            later.after.span()
        };
        self.problem(
            span,
            format!(
                "this `{key}` window ({}) overlaps the `{key}` window {} on {}: windows of one kind may not overlap on a device; end the first before the second opens, or split the devices",
                later.span_words(),
                earlier.span_words(),
                list(shared.into_iter()),
                key = later.kind.key(),
            ),
        );
    }

    fn steps(&mut self) {
        let scenario = self.scenario;
        let mut rules: BTreeSet<&str> = scenario
            .service
            .rules
            .iter()
            .map(|r| r.name.get().as_str())
            .collect();
        for step in &scenario.steps {
            let span = step.span();
            for device in step.devices() {
                self.device(device);
            }
            if let Some(actor) = step.actor() {
                match actor.by {
                    Some(by) => self.member(by),
                    None if scenario.default_actor().is_none() => self.problem(
                        span.clone(),
                        format!(
                            "`{}` acts as the team's owner or admin, but [service] has none: add `by = \"<member>\"`",
                            step.keyword()
                        ),
                    ),
                    None => {}
                }
                if let Some(status) = actor.expect_status {
                    if !(100..=599).contains(&status) {
                        self.problem(
                            span.clone(),
                            format!("expect_status {status} is out of range: expected 100 to 599"),
                        );
                    }
                }
            }
            match step.get() {
                Step::WaitUntil(e) => self.expectation(e, true),
                Step::Expect(e) => self.expectation(e, false),
                Step::FaultOn(name) | Step::FaultOff(name)
                    if scenario.fault(name.get()).is_none() =>
                {
                    let faults = list(
                        scenario
                            .faults
                            .iter()
                            .filter_map(|f| f.name.as_ref().map(|n| n.get().as_str())),
                    );
                    self.problem(
                        name.span(),
                        format!(
                            "unknown fault `{}`: expected one of the named [[fault]]s ({faults})",
                            name.get()
                        ),
                    );
                }
                Step::Skip(a) | Step::Retry(a) => self.position(&a.command),
                Step::UpdateCommand(a) => self.position(&a.command),
                Step::CreateRule(c) => {
                    self.rule(&c.rule);
                    rules.insert(c.rule.name.get().as_str());
                }
                Step::ActivateRule(a) if !rules.contains(a.rule.get().as_str()) => {
                    let known = list(rules.iter().copied());
                    self.problem(
                        a.rule.span(),
                        format!(
                            "unknown rule `{}`: expected a [[service.rule]] or a rule created by an earlier step ({known})",
                            a.rule.get()
                        ),
                    );
                }
                _ => {}
            }
        }
    }

    fn position(&mut self, index: &Located<u32>) {
        if *index.get() == 0 {
            self.problem(
                index.span(),
                "command positions count from 1 (the first command of the configuration is 1)"
                    .to_owned(),
            );
        }
    }

    fn expectation(&mut self, expectation: &Located<Expectation>, is_wait: bool) {
        let span = expectation.span();
        let what = if is_wait {
            "`wait_until`"
        } else {
            "an expectation"
        };
        self.optional_device(expectation.device.as_ref(), span.clone(), what);
        if is_wait && expectation.within.is_none() {
            self.problem(
                span.clone(),
                "`wait_until` needs a deadline: add `within = \"<duration>\"`, e.g. \"2m\""
                    .to_owned(),
            );
        }
        if expectation.is_empty() {
            self.problem(
                span,
                format!("{what} checks nothing: give at least one of claimed, status, commands, command, events, events_in_order, events_absent, nvm, records"),
            );
        }
        if let Some(map) = &expectation.command {
            for key in map.keys() {
                if !key.parse::<u32>().is_ok_and(|n| n >= 1) {
                    self.problem(
                        map.span(),
                        format!("`command` keys are 1-based command positions: expected a number such as `2`, found `{key}`"),
                    );
                }
            }
        }
        if let Some(records) = &expectation.records {
            for delivered in &records.delivered {
                self.position(&delivered.command);
            }
        }
    }
}
