//! `provlab team`: manages the fake service's team members and API keys through its REST
//! API (`/v1/team/...`), authenticated with an admin's or owner's key.
//!
//! The server owns the database, so the CLI goes through the running server rather than the
//! file: start `provlab serve --owner-key K`, then `provlab team --key K add --role editor`.

use std::process::ExitCode;

use anyhow::anyhow;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Subcommand};
use provlab_server::api_client::{ApiClient, ApiError};
use provlab_server::domain::Role;
use provlab_server::rest::dto::team::{ChangeRoleBody, NewMemberBody};
use serde::Serialize;

/// The environment variable read when `--key` is not given.
pub const KEY_ENV: &str = "PROVLAB_API_KEY";

/// Arguments of `provlab team`.
#[derive(Debug, Args)]
pub struct TeamArgs {
    /// Base URL of the service's REST API.
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// API key of the calling member (an admin or owner for most commands); default: the
    /// PROVLAB_API_KEY environment variable.
    #[arg(long, value_name = "KEY")]
    key: Option<String>,
    #[command(subcommand)]
    command: TeamCommand,
}

/// Reads a role by its REST name; `--help` lists the names.
fn role_arg() -> impl TypedValueParser<Value = Role> {
    PossibleValuesParser::new(Role::ALL.map(Role::as_str)).try_map(|text| text.parse::<Role>())
}

#[derive(Debug, Subcommand)]
enum TeamCommand {
    /// Show the member the key belongs to.
    Me,
    /// List the members (admins and owners).
    List,
    /// Add a member; prints their new API key once.
    Add {
        /// The role.
        #[arg(long, value_parser = role_arg())]
        role: Role,
        /// The member's name (default: `<role>-<n>`, the first free one).
        #[arg(long)]
        name: Option<String>,
    },
    /// Change a member's role.
    Role {
        /// The member.
        #[arg(long)]
        name: String,
        /// The new role.
        #[arg(long, value_parser = role_arg())]
        role: Role,
    },
    /// Remove a member and their keys.
    Remove {
        /// The member.
        #[arg(long)]
        name: String,
    },
    /// Issue a new API key to a member (yourself: any role); prints it once.
    IssueKey {
        /// The member.
        #[arg(long)]
        name: String,
    },
    /// Revoke a member's API key by its key id (see `list`).
    RevokeKey {
        /// The member.
        #[arg(long)]
        name: String,
        /// The key id.
        #[arg(long)]
        key_id: String,
    },
}

/// Names what failed with the service's status and message, as `<what> failed: HTTP
/// <status>: <message>` (or the transport error when there was no answer).
fn failed(what: &str) -> impl FnOnce(ApiError) -> anyhow::Error + '_ {
    move |e| match (e.status(), e.message()) {
        (Some(status), Some(message)) => anyhow!("{what} failed: HTTP {status}: {message}"),
        _ => anyhow!("{what} failed: {e}"),
    }
}

fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Runs `provlab team`.
pub fn run(args: TeamArgs) -> anyhow::Result<ExitCode> {
    let key = match args.key {
        Some(k) => k,
        None => std::env::var(KEY_ENV)
            .map_err(|_| anyhow!("give --key or set {KEY_ENV} to an admin's or owner's API key"))?,
    };
    let api = ApiClient::new(&args.url)?.with_key(key);
    execute(&api, args.command)?;
    Ok(ExitCode::SUCCESS)
}

fn execute(api: &ApiClient, command: TeamCommand) -> anyhow::Result<()> {
    match command {
        TeamCommand::Me => print_json(&api.me().map_err(failed("reading the caller"))?),
        TeamCommand::List => print_json(&api.members().map_err(failed("listing members"))?),
        TeamCommand::Add { role, name } => {
            let name = match name {
                Some(n) => n,
                None => {
                    let taken: Vec<String> = api
                        .members()
                        .map_err(failed("listing members"))?
                        .into_iter()
                        .map(|m| m.name)
                        .collect();
                    (1..=10_000)
                        .map(|n| format!("{}-{n}", role.as_str()))
                        .find(|candidate| !taken.contains(candidate))
                        .ok_or_else(|| anyhow!("no free name; give --name"))?
                }
            };
            let created = api
                .add_member(&NewMemberBody {
                    name: name.clone(),
                    role,
                })
                .map_err(failed("adding the member"))?;
            println!("added {name} ({})", role.as_str());
            println!("key id: {}", created.key_id);
            println!("api key (shown once, store it now): {}", created.api_key);
            Ok(())
        }
        TeamCommand::Role { name, role } => {
            api.change_role(&name, &ChangeRoleBody { role })
                .map_err(failed("changing the role"))?;
            println!("{name} is now {}", role.as_str());
            Ok(())
        }
        TeamCommand::Remove { name } => {
            api.remove_member(&name)
                .map_err(failed("removing the member"))?;
            println!("removed {name}");
            Ok(())
        }
        TeamCommand::IssueKey { name } => {
            let created = api.issue_key(&name).map_err(failed("issuing a key"))?;
            println!("key id: {}", created.key_id);
            println!("api key (shown once, store it now): {}", created.api_key);
            Ok(())
        }
        TeamCommand::RevokeKey { name, key_id } => {
            api.revoke_key(&name, &key_id)
                .map_err(failed("revoking the key"))?;
            println!("revoked key {key_id} of {name}");
            Ok(())
        }
    }
}
