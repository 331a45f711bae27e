"""Requests are made by submitting a form from 发起审批: the generated API reads them and offers
no way to write one (FAB would otherwise accept any column)."""


def test_the_requests_api_has_no_create_or_update(org, app, api_token):
    client = app.test_client()
    headers = api_token(org.east_rep)
    assert client.get("/api/v1/approval_requests/", headers=headers).status_code == 200
    assert client.post("/api/v1/approval_requests/", json={"title": "x", "status": "approved"},
                       headers=headers).status_code == 405
    assert client.put("/api/v1/approval_requests/1", json={"status": "approved"}, headers=headers).status_code in (404, 405)
