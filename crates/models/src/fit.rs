//! Does a model fit this computer? Its memory need against the machine's RAM.

use serde::{Deserialize, Serialize};

/// This computer's memory, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Machine {
    /// Installed RAM.
    pub total_ram: u64,
    /// RAM free for a new program right now.
    pub available_ram: u64,
}

/// How a model would run here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    /// Fits in the memory that is free now, with room to spare.
    RunsWell,
    /// Fits in the installed memory, but other programs may have to give way.
    Tight,
    /// Needs more memory than the computer has.
    TooBig,
}

impl Machine {
    /// Reads this computer's memory; `None` where the OS does not say.
    pub fn detect() -> Option<Machine> {
        let mut system = sysinfo::System::new().ok()?;
        system.refresh_memory();
        let total_ram = system.total_memory();
        (total_ram > 0).then(|| Machine {
            total_ram,
            available_ram: system.available_memory(),
        })
    }

    /// How a model needing `ram` bytes would run here.
    pub fn fit(&self, ram: u64) -> Fit {
        // The OS and the app itself need their share: a model that takes more than ~75% of the
        // installed memory makes the whole machine swap.
        if ram > self.total_ram.saturating_mul(3) / 4 {
            Fit::TooBig
        } else if ram.saturating_add(ram / 5) <= self.available_ram {
            Fit::RunsWell
        } else {
            Fit::Tight
        }
    }
}

impl Fit {
    /// Words for people.
    pub fn label(self) -> &'static str {
        match self {
            Fit::RunsWell => "runs well",
            Fit::Tight => "tight",
            Fit::TooBig => "too big",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GB: u64 = 1_000_000_000;

    #[test]
    fn fit_follows_free_and_total_memory() {
        let laptop = Machine {
            total_ram: 8 * GB,
            available_ram: 4 * GB,
        };
        assert_eq!(laptop.fit(GB), Fit::RunsWell);
        assert_eq!(laptop.fit(4 * GB), Fit::Tight);
        assert_eq!(laptop.fit(6 * GB), Fit::Tight);
        assert_eq!(laptop.fit(7 * GB), Fit::TooBig);
        assert_eq!(laptop.fit(u64::MAX), Fit::TooBig);
    }

    #[test]
    fn this_machine_has_memory() {
        let here = Machine::detect().expect("Linux reports its memory");
        assert!(
            here.total_ram > 0 && here.available_ram <= here.total_ram,
            "{here:?}"
        );
    }
}
