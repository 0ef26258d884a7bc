//! `provlab team`: manages the fake service's team members and API keys through its REST
//! API (`/v1/team/...`), authenticated with an admin's or owner's key.
//!
//! The server owns the database, so the CLI goes through the running server rather than the
//! file: start `provlab serve --owner-key K`, then `provlab team --key K add --role editor`.

mod http;

use std::process::ExitCode;

use anyhow::{anyhow, bail, Context as _};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{json, Value};

use http::{BaseUrl, HttpResponse};

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

/// A member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RoleArg {
    /// Reads what it may see.
    Viewer,
    /// Claims devices, edits configurations of editor-claimed devices.
    Editor,
    /// Sees and edits every device; manages rules and members.
    Admin,
    /// Like admin, and manages owners.
    Owner,
}

impl RoleArg {
    fn as_str(self) -> &'static str {
        match self {
            RoleArg::Viewer => "viewer",
            RoleArg::Editor => "editor",
            RoleArg::Admin => "admin",
            RoleArg::Owner => "owner",
        }
    }
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
        #[arg(long, value_enum)]
        role: RoleArg,
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
        #[arg(long, value_enum)]
        role: RoleArg,
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

/// The service's JSON answer, or an error carrying its `message`.
fn expect(response: HttpResponse, wanted: u16, what: &str) -> anyhow::Result<Value> {
    let body: Value = if response.body.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&response.body).unwrap_or(Value::String(response.body.clone()))
    };
    if response.status != wanted {
        let message = body
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| response.body.clone());
        bail!("{what} failed: HTTP {}: {message}", response.status);
    }
    Ok(body)
}

/// Every member name, following the pages.
async fn member_names(base: &BaseUrl, key: &str) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..10_000 {
        let path = match &token {
            Some(t) => format!("/v1/team/members?pageLimit=100&pageNextToken={t}"),
            None => "/v1/team/members?pageLimit=100".to_owned(),
        };
        let page = expect(
            http::request(base, "GET", &path, key, None).await?,
            200,
            "listing members",
        )?;
        for item in page["items"].as_array().into_iter().flatten() {
            if let Some(name) = item["name"].as_str() {
                names.push(name.to_owned());
            }
        }
        match page.get("pageNextToken").and_then(Value::as_str) {
            Some(t) => token = Some(t.to_owned()),
            None => return Ok(names),
        }
    }
    bail!("the member list did not end")
}

fn print_json(value: &Value) -> anyhow::Result<()> {
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
    let base = BaseUrl::parse(&args.url)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(execute(&base, &key, args.command))?;
    Ok(ExitCode::SUCCESS)
}

async fn execute(base: &BaseUrl, key: &str, command: TeamCommand) -> anyhow::Result<()> {
    match command {
        TeamCommand::Me => {
            let me = expect(
                http::request(base, "GET", "/v1/team/me", key, None).await?,
                200,
                "reading the caller",
            )?;
            print_json(&me)
        }
        TeamCommand::List => {
            let mut all = Vec::new();
            let mut token: Option<String> = None;
            for _ in 0..10_000 {
                let path = match &token {
                    Some(t) => format!("/v1/team/members?pageLimit=100&pageNextToken={t}"),
                    None => "/v1/team/members?pageLimit=100".to_owned(),
                };
                let page = expect(
                    http::request(base, "GET", &path, key, None).await?,
                    200,
                    "listing members",
                )?;
                all.extend(page["items"].as_array().cloned().unwrap_or_default());
                match page.get("pageNextToken").and_then(Value::as_str) {
                    Some(t) => token = Some(t.to_owned()),
                    None => break,
                }
            }
            print_json(&Value::Array(all))
        }
        TeamCommand::Add { role, name } => {
            let name = match name {
                Some(n) => n,
                None => {
                    let taken = member_names(base, key).await?;
                    (1..=10_000)
                        .map(|n| format!("{}-{n}", role.as_str()))
                        .find(|candidate| !taken.contains(candidate))
                        .ok_or_else(|| anyhow!("no free name; give --name"))?
                }
            };
            let body = json!({"name": name, "role": role.as_str()}).to_string();
            let created = expect(
                http::request(base, "POST", "/v1/team/members", key, Some(&body)).await?,
                201,
                "adding the member",
            )?;
            println!("added {name} ({})", role.as_str());
            println!("key id: {}", created["keyId"].as_str().unwrap_or("?"));
            println!(
                "api key (shown once, store it now): {}",
                created["apiKey"].as_str().unwrap_or("?")
            );
            Ok(())
        }
        TeamCommand::Role { name, role } => {
            let body = json!({"role": role.as_str()}).to_string();
            expect(
                http::request(
                    base,
                    "PUT",
                    &format!("/v1/team/members/{name}"),
                    key,
                    Some(&body),
                )
                .await?,
                204,
                "changing the role",
            )?;
            println!("{name} is now {}", role.as_str());
            Ok(())
        }
        TeamCommand::Remove { name } => {
            expect(
                http::request(
                    base,
                    "DELETE",
                    &format!("/v1/team/members/{name}"),
                    key,
                    None,
                )
                .await?,
                204,
                "removing the member",
            )?;
            println!("removed {name}");
            Ok(())
        }
        TeamCommand::IssueKey { name } => {
            let created = expect(
                http::request(
                    base,
                    "POST",
                    &format!("/v1/team/members/{name}/api-keys"),
                    key,
                    None,
                )
                .await?,
                201,
                "issuing a key",
            )?;
            println!("key id: {}", created["keyId"].as_str().unwrap_or("?"));
            println!(
                "api key (shown once, store it now): {}",
                created["apiKey"].as_str().unwrap_or("?")
            );
            Ok(())
        }
        TeamCommand::RevokeKey { name, key_id } => {
            expect(
                http::request(
                    base,
                    "DELETE",
                    &format!("/v1/team/members/{name}/api-keys/{key_id}"),
                    key,
                    None,
                )
                .await?,
                204,
                "revoking the key",
            )?;
            println!("revoked key {key_id} of {name}");
            Ok(())
        }
    }
}
