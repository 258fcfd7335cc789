"""A python-telegram-bot transport built on aiohttp.

PTB ships an httpx transport (``HTTPXRequest``), which is slow under load: on the development
machine it managed about 500 echo round trips a second, and under 100 with concurrent updates,
where this one does about 1,500 and 2,300 (``tests/bench/telegram_transport_bench.py``). The
rest of Chung Sức already runs on aiohttp (web chat, Zalo channel, webhook server), so the bot
shares that HTTP stack too.
"""

import asyncio
import functools
import io
import json

import aiohttp

# PTB publishes its "timeout not passed" sentinel type only in private modules; its own
# HTTPXRequest imports them the same way, and the dependency is pinned below PTB 23.
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_POOL_TIMEOUT_MESSAGE = (
    "Pool timeout: all connections in the connection pool are occupied. The request was *not* "
    "sent to Telegram. Consider a larger connection pool or a longer pool timeout."
)


class AiohttpRequest(BaseRequest):
    """A :class:`telegram.request.BaseRequest` that sends Bot API calls through aiohttp.

    One pooled :class:`aiohttp.ClientSession` is opened by :meth:`initialize` and closed by
    :meth:`shutdown`; every call made through this object shares it. The constructor takes the
    same timeout arguments as PTB's ``HTTPXRequest`` and they mean the same thing:

    * ``connect_timeout`` bounds opening a new connection;
    * ``read_timeout`` bounds each wait for data from the server once the request is sent
      (PTB adds the ``getUpdates`` long-poll ``timeout`` to it on its own);
    * ``write_timeout`` bounds sending the request (``media_write_timeout`` for uploads);
    * ``pool_timeout`` bounds waiting for a free connection when all
      ``connection_pool_size`` connections are busy.

    Args:
        connection_pool_size: Most connections open at once. PTB's ``getUpdates`` needs only 1.
        read_timeout: Default read timeout in seconds, ``None`` for no limit.
        write_timeout: Default write timeout in seconds for requests without files.
        connect_timeout: Default connect timeout in seconds.
        pool_timeout: Default time in seconds to wait for a free connection.
        media_write_timeout: Default write timeout in seconds for requests that upload files.
        proxy: Optional HTTP proxy URL, e.g. ``"http://127.0.0.1:3128"``.
    """

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_slots",
        "_pool_timeout",
        "_proxy",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        proxy: str | None = None,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._proxy = proxy
        self._session: aiohttp.ClientSession | None = None
        self._pool_slots: asyncio.Semaphore | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout in seconds, used when a call does not pass its own."""
        return self._read_timeout

    @property
    def is_initialized(self) -> bool:
        """Whether :meth:`initialize` has opened a session that is not closed yet."""
        return self._session is not None and not self._session.closed

    async def initialize(self) -> None:
        """Open the shared connection pool. Calling it again while open does nothing."""
        if self.is_initialized:
            return
        # The session and semaphore are created here rather than in __init__ because both belong
        # to the running event loop, and PTB builds request objects before any loop runs.
        connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0)
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": self.USER_AGENT},
            # Per-request timeouts are always passed explicitly; the session default of
            # 5 minutes total would otherwise cut long polls and slow uploads short.
            timeout=aiohttp.ClientTimeout(total=None),
        )
        self._pool_slots = asyncio.Semaphore(self._pool_size)

    async def shutdown(self) -> None:
        """Close the connection pool. Calling it again, or before :meth:`initialize`, is safe."""
        session, self._session = self._session, None
        self._pool_slots = None
        if session is not None and not session.closed:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request and return its HTTP status and raw body.

        Timeouts passed as ``DEFAULT_NONE`` fall back to the values given to the constructor.

        Raises:
            telegram.error.TimedOut: A timeout expired, including waiting for a pool slot.
            telegram.error.NetworkError: The connection failed or broke.
            RuntimeError: :meth:`initialize` has not been called.
        """
        session, pool_slots = self._session, self._pool_slots
        if session is None or pool_slots is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")

        files = request_data is not None and request_data.contains_files
        body: aiohttp.FormData | aiohttp.BytesPayload | None = None
        if request_data is not None and files:
            body = _form(request_data)
        elif request_data is not None and request_data.parameters:
            # The Bot API reads JSON bodies as well as forms. One json.dumps of the values
            # (markup as a nested object, text as UTF-8) is far cheaper than form-encoding
            # or PTB's json_payload, which encodes each value and then the whole again; this
            # runs for every message sent.
            # Wrapped here, with its type, so aiohttp need not look up a payload class and
            # merge per-call headers.
            body = aiohttp.BytesPayload(
                json.dumps(request_data.parameters, ensure_ascii=False).encode(),
                content_type="application/json",
            )

        read = self._pick(read_timeout, self._read_timeout)
        connect = self._pick(connect_timeout, self._connect_timeout)
        pool = self._pick(pool_timeout, self._pool_timeout)
        write = self._pick(
            write_timeout, self._media_write_timeout if files else self._write_timeout
        )
        timeout = _client_timeout(connect, read)
        # aiohttp has no write timeout. A stalled upload is caught instead by a deadline on
        # getting the response headers: the connect, write and read budgets added together.
        # The body is then read under sock_read alone, so large downloads are not cut short.
        headers_deadline = _add_timeouts(connect, write, read)

        # aiohttp folds the wait for a free connection into its connect timeout. PTB treats pool
        # exhaustion as its own failure (the request never left), so the pool is gated here with
        # a semaphore the size of the connector's limit and its own timeout.
        if pool_slots.locked():
            try:
                async with asyncio.timeout(pool):
                    await pool_slots.acquire()
            except TimeoutError as err:
                raise TimedOut(_POOL_TIMEOUT_MESSAGE) from err
        else:
            # A free slot is taken at once; no timer is worth arming for that.
            await pool_slots.acquire()

        try:
            async with asyncio.timeout(headers_deadline):
                response = await session.request(
                    method, url, data=body, timeout=timeout, proxy=self._proxy
                )
            async with response:
                return response.status, await response.read()
        except TimeoutError as err:
            # Checked first: aiohttp's timeout errors also subclass ClientError.
            raise TimedOut(str(err) or None) from err
        except aiohttp.ClientError as err:
            # The class name is kept because many aiohttp errors have an empty message.
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err
        finally:
            pool_slots.release()

    @staticmethod
    def _pick(value: ODVInput[float], default: float | None) -> float | None:
        """Return the per-call timeout, or the default when PTB passed ``DEFAULT_NONE``."""
        if isinstance(value, DefaultValue):
            return default
        return value


@functools.lru_cache(maxsize=32)
def _client_timeout(connect: float | None, read: float | None) -> aiohttp.ClientTimeout:
    """aiohttp's timeouts for a call; few distinct pairs occur, so they are made once."""
    return aiohttp.ClientTimeout(
        # aiohttp's `connect` also counts waiting for a pooled connection; that wait is
        # already bounded by pool_timeout, so both are set to the connect budget.
        connect=connect,
        sock_connect=connect,
        # sock_read starts once the request is sent and restarts on every chunk received,
        # like httpx's read timeout.
        sock_read=read,
    )


def _form(request_data: RequestData) -> aiohttp.FormData:
    """A multipart body with the files streamed and the other parameters as fields."""
    # quote_fields=False sends file names as raw UTF-8, as HTTPXRequest does; aiohttp's
    # default would percent-encode Vietnamese file names into the stored document name.
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        # aiohttp warns about raw bytes over 1 MB (they are written in one blocking call);
        # a BytesIO wrapper, which does not copy, is streamed in chunks instead.
        stream = io.BytesIO(content) if isinstance(content, bytes) else content
        form.add_field(name, stream, filename=filename, content_type=mimetype)
    return form


def _add_timeouts(*timeouts: float | None) -> float | None:
    """Sum timeouts in seconds, where any ``None`` (no limit) makes the sum ``None``."""
    total = 0.0
    for timeout in timeouts:
        if timeout is None:
            return None
        total += timeout
    return total
