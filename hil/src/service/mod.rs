//! The service side of a HIL run: the lab service reached over its REST API with the
//! library client ([`provlab_server::api_client`]), the scenario's lab credentials, and the
//! owner actions the harness dispatches ([`provlab_harness::owner`]).

pub mod content;
pub mod observe;
pub mod owner;

pub use content::LabContent;
pub use owner::{LabService, RestOwner, TokenSource};
