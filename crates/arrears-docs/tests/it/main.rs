mod documents;
mod poppler;
