//! The arithmetic of legal escalation, pure: the court's fees for a claim (诉讼费用交纳办法,
//! the Measures on the Payment of Litigation Costs, arts. 13 and 14), the interest on judgment
//! money paid late (民事诉讼法 art. 264 and the Supreme People's Court's interpretation: 0.0175%
//! a day), and the limitation period of a debt (Civil Code arts. 188, 189 and 195).
//!
//! Amounts are yuan in fen; every fee is computed bracket by bracket on the part of the amount
//! inside the bracket, each part rounded half up to the fen. `bundle` packs and verifies the
//! signed evidence bundle of a case, in memory.

pub mod bundle;
pub mod certificate;
pub mod fees;
pub mod limitation;

pub use fees::{acceptance_fee, enforcement_fee, late_performance_interest, preservation_fee, Procedure};
pub use limitation::{Limitation, LIMITATION_YEARS};
