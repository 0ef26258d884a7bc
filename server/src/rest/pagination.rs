//! List pagination in nRF Cloud's style: `?pageLimit=N&pageNextToken=T` in, `{"items",
//! "total", "pageNextToken"}` out (the token absent on the last page).
//!
//! The token is opaque to clients; ours encodes the offset of the next item. Lists are in a
//! stable order (by id, name or creation), so walking the pages of an unchanging list yields
//! every item once.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;

/// Items per page when `pageLimit` is not given.
pub const DEFAULT_PAGE_LIMIT: usize = 50;
/// The largest `pageLimit` accepted.
pub const MAX_PAGE_LIMIT: usize = 100;

/// The paging query parameters of every list endpoint.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 100 (default 50).
    pub page_limit: Option<usize>,
    /// The `pageNextToken` of the previous page.
    pub page_next_token: Option<String>,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// This page's items.
    pub items: Vec<T>,
    /// How many items the whole list holds.
    pub total: usize,
    /// Pass as `pageNextToken` to get the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_next_token: Option<String>,
}

/// Most digits of a page token.
const TOKEN_DIGITS: usize = 9;

/// The regular expression of a page token (the OpenAPI document states it): the offset of
/// the next item in decimal. A token outside a list's end gives an empty page.
pub fn page_token_pattern() -> String {
    format!("^[0-9]{{1,{TOKEN_DIGITS}}}$")
}

fn encode_token(offset: usize) -> String {
    offset.to_string()
}

fn decode_token(token: &str) -> Option<usize> {
    if token.is_empty() || token.len() > TOKEN_DIGITS || !token.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    token.parse().ok()
}

impl PageParams {
    /// The page size and start offset these parameters ask for; 400 when out of range or
    /// the token is not one of ours.
    pub fn window(&self) -> Result<(usize, usize), ApiError> {
        let limit = self.page_limit.unwrap_or(DEFAULT_PAGE_LIMIT);
        if !(1..=MAX_PAGE_LIMIT).contains(&limit) {
            return Err(ApiError::bad_request(format!(
                "pageLimit must be 1 to {MAX_PAGE_LIMIT}, got {limit}"
            )));
        }
        let offset = match &self.page_next_token {
            None => 0,
            Some(t) => decode_token(t).ok_or_else(|| {
                ApiError::bad_request(format!("pageNextToken {t:?} is not a valid page token"))
            })?,
        };
        Ok((limit, offset))
    }
}

/// Cuts the page `params` asks for out of the whole list `items` (mapping each with `map`).
pub fn paginate<I, T>(
    items: impl ExactSizeIterator<Item = I>,
    params: &PageParams,
    map: impl FnMut(I) -> T,
) -> Result<Page<T>, ApiError> {
    let (limit, offset) = params.window()?;
    let total = items.len();
    let page: Vec<T> = items.skip(offset).take(limit).map(map).collect();
    let next = offset.saturating_add(page.len());
    Ok(Page {
        page_next_token: (next < total && !page.is_empty()).then(|| encode_token(next)),
        items: page,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_walk_the_list_once() {
        let all: Vec<u32> = (0..7).collect();
        let mut params = PageParams {
            page_limit: Some(3),
            page_next_token: None,
        };
        let mut seen = Vec::new();
        for _ in 0..10 {
            let page = paginate(all.iter(), &params, |x| *x).unwrap();
            assert_eq!(page.total, 7);
            seen.extend(page.items);
            match page.page_next_token {
                Some(t) => params.page_next_token = Some(t),
                None => break,
            }
        }
        assert_eq!(seen, all);
    }

    #[test]
    fn bad_parameters_are_rejected() {
        let bad_limit = PageParams {
            page_limit: Some(0),
            page_next_token: None,
        };
        assert!(bad_limit.window().is_err());
        let bad_token = PageParams {
            page_limit: None,
            page_next_token: Some("nonsense".into()),
        };
        assert!(bad_token.window().is_err());
    }
}
