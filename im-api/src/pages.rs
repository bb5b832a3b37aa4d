//! Cursor paging for endpoints whose spec has `page`: follow the cursor to
//! the last page, one call per page (each paced and retried as usual).

use crate::Client;
use crate::endpoint::Endpoint;
use crate::error::Error;

/// A request whose responses come in pages. Generated from the spec's `page`.
pub trait Paged: Endpoint + Clone {
    /// What a page lists.
    type Item;
    /// The request for the page after `response`, or `None` after the last.
    fn next_page(&self, response: &Self::Response) -> Option<Self>;
    /// The items of a page.
    fn into_items(response: Self::Response) -> Vec<Self::Item>;
}

/// The pages of a paged request, fetched on demand.
#[derive(Debug)]
pub struct Pages<R> {
    client: Client,
    next: Option<R>,
    pages: usize,
}

impl Client {
    /// Page through `first` and the pages after it.
    pub fn pages<R: Paged>(&self, first: R) -> Pages<R> {
        Pages {
            client: self.clone(),
            next: Some(first),
            pages: 0,
        }
    }
}

impl<R: Paged> Pages<R> {
    /// The next page, or `None` after the last one (or after an error).
    pub async fn next_page(&mut self) -> Option<Result<R::Response, Error<R::Error>>> {
        let request = self.next.take()?;
        let result = self.client.call(request.clone()).await;
        if let Ok(resp) = &result {
            self.next = request.next_page(resp);
            self.pages += 1;
        }
        Some(result)
    }

    /// Pages fetched so far.
    pub fn pages_fetched(&self) -> usize {
        self.pages
    }

    /// Every item of every page, in order.
    pub async fn all_items(mut self) -> Result<Vec<R::Item>, Error<R::Error>> {
        let mut items = Vec::new();
        while let Some(page) = self.next_page().await {
            items.extend(R::into_items(page?));
        }
        Ok(items)
    }
}
